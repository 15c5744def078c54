# The CUDA backend (gocore/backend/cuda, build tag cuda; docs/gpu.md): its
# toolchain from PyPI's NVIDIA wheels, the kernels' PTX, the check that the
# committed PTX is current, the build of every cuda-tagged package and test
# binary on a machine without a GPU, and the GPU tests. Included by the
# Makefile; `make test-go` runs build-cuda and check-ptx.

CUDA_TOOLCHAIN ?= $(or $(MFPO_CUDA_TOOLCHAIN),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/mfpo/cuda-12.9-13.0)
NVCC           ?= $(CUDA_TOOLCHAIN)/nvcc/bin/nvcc
# compute_80 PTX: the driver compiles it for the GPU it loads on (A100,
# H100, H200 and newer).
PTX_ARCH       := compute_80
PTX_DIR        := gocore/backend/cuda/ptx
CUDA_KERNELS   := $(wildcard kernels/*.cu)
CUDA_STUBS     := $(BUILD)/cuda/stubs
CUDA_TAGS       = $(if $(GOTAGS),cuda$(comma)$(GOTAGS),cuda)
comma          := ,
# cgo's flags for the cuda-tagged build: CUDA 12.9's headers from the
# toolchain, and the stub libraries to link against (the real ones win at
# run time where the NVIDIA driver and cuBLAS are installed).
CUDA_CGO        = CGO_CFLAGS="-I$(CUDA_TOOLCHAIN)/include $(CGO_CFLAGS)" CGO_LDFLAGS="-L$(abspath $(CUDA_STUBS)) $(CGO_LDFLAGS)"
CUDA_PKGS      := ./gocore/backend/cuda/...

.PHONY: setup-cuda ptx check-ptx cuda-stubs build-cuda test-cuda device-check print-cuda-toolchain

setup-cuda: ## fetch the CUDA 12.9 headers and CUDA 13.0 nvcc from PyPI's NVIDIA wheels (no driver needed; ~0.7 GB once)
	@MFPO_CUDA_TOOLCHAIN='$(CUDA_TOOLCHAIN)' PYTHON='$(PYTHON)' bash scripts/cuda/toolchain.sh

# cuda_ptx DIR: compile every kernels/*.cu to DIR/NAME.ptx.
define cuda_ptx
	@mkdir -p $(1)
	@for f in $(CUDA_KERNELS); do n=$$(basename $$f .cu); \
		$(NVCC) -ptx -arch=$(PTX_ARCH) -std=c++17 -o $(1)/$$n.ptx $$f || exit 1; done
endef

ptx: setup-cuda ## compile kernels/*.cu to the committed PTX (gocore/backend/cuda/ptx)
	$(call cuda_ptx,$(PTX_DIR))

check-ptx: setup-cuda ## fail when the committed PTX is not what kernels/ compiles to
	@rm -rf $(BUILD)/ptx-check
	$(call cuda_ptx,$(BUILD)/ptx-check)
	@if ! diff -r -q $(PTX_DIR) $(BUILD)/ptx-check; then \
		echo "check-ptx: $(PTX_DIR) is stale: run make ptx and commit it"; exit 1; fi
	@echo "check-ptx: the PTX is current ($(words $(CUDA_KERNELS)) modules)"

cuda-stubs: setup-cuda
	@$(CUDA_CGO) GO='$(GO)' bash scripts/cuda/stubs.sh $(CUDA_STUBS) -tags=$(CUDA_TAGS) $(CUDA_PKGS)

build-cuda: cuda-stubs ## compile every cuda-tagged package and the CUDA test binaries (no GPU needed); run the no-device tests
	$(CUDA_CGO) $(GO) build -tags=$(CUDA_TAGS) ./...
	$(CUDA_CGO) $(GO) vet -tags=$(CUDA_TAGS) $(CUDA_PKGS) ./gocore/mfpo/
	@mkdir -p $(BUILD)/cuda/bin
	$(CUDA_CGO) $(GO) test -c -tags=$(CUDA_TAGS) -o $(BUILD)/cuda/bin/cuda.test ./gocore/backend/cuda
	$(CUDA_CGO) $(GO) test -c -tags=$(CUDA_TAGS) -o $(BUILD)/cuda/bin/mfpo.test ./gocore/mfpo
	$(CUDA_CGO) $(GO) test -c -tags=$(CUDA_TAGS) -o $(BUILD)/cuda/bin/face.test ./gocore/face
	$(CUDA_CGO) $(GO) build -tags=$(CUDA_TAGS) -o $(BUILD)/cuda/bin/bench-gpu ./bench/gpu
	@echo "== the cuda build without a device (stub driver): Open and the device setting must say so"
	set -o pipefail; cd gocore/backend/cuda && LD_LIBRARY_PATH=$(abspath $(CUDA_STUBS)) MFPO_CUDA_EXPECT=none $(abspath $(BUILD))/cuda/bin/cuda.test -test.run 'NoDevice' -test.v -test.count=1 | tail -5
	cd gocore/mfpo && LD_LIBRARY_PATH=$(abspath $(CUDA_STUBS)) MFPO_CUDA_EXPECT=none $(abspath $(BUILD))/cuda/bin/mfpo.test -test.run 'Device' -test.count=1
	cd gocore/face && LD_LIBRARY_PATH=$(abspath $(CUDA_STUBS)) MFPO_CUDA_EXPECT=none $(abspath $(BUILD))/cuda/bin/face.test -test.run 'Device' -test.count=1
	@rc=0; LD_LIBRARY_PATH=$(abspath $(CUDA_STUBS)) $(BUILD)/cuda/bin/bench-gpu -smoke || rc=$$?; \
		if [ $$rc -ne 3 ]; then echo "build-cuda: bench-gpu -smoke without a GPU exited $$rc, want 3"; exit 1; fi

test-cuda: cuda-stubs ## on a GPU machine: the CUDA backend against the CPU reference, the agent on CUDA, the device setting
	$(CUDA_CGO) $(GO) test -count=1 -tags=$(CUDA_TAGS) $(CUDA_PKGS)
	$(CUDA_CGO) $(GO) test -count=1 -tags=$(CUDA_TAGS) -run Device ./gocore/mfpo ./gocore/face

device-check: ## build build/device-check/, the folder a GPU machine without Go runs (scripts/device_check.sh)
	@bash scripts/device_check.sh build

print-cuda-toolchain:
	@echo $(CUDA_TOOLCHAIN)
