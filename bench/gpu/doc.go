// Command gpu is the CUDA benchmark (docs/gpu.md): cuBLAS SGEMM on the
// update's shapes (float32 and TF32), the fused layer kernel, and the
// paper-default update on the CUDA backend (median time, updates/s,
// achieved TFLOP/s against the SGEMM rate measured in the same run). It
// exists only in builds with the tag cuda; make build-cuda compiles it and
// runs its smoke mode against the stub driver, where it must report that
// no GPU is visible (exit status 3). scripts/device_check.sh runs it on a
// GPU machine.
package main
