# make demo: set up .venv, render the synthetic dataset, train CLEAR's
#            recognition stage on it and test it, then train and test the
#            retrieval stage on the frozen recognition model, draw
#            retrieval examples, run tools/infer.py on four test images,
#            and index the test images to answer three search queries.
# make test: set up .venv (with the export and visualisation extras the
#            suite tests) and run the test suite.
# make serve: the person-search web page over the demo's index (INDEX=...,
#            PORT=...).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-stamp
EXTRAS_STAMP := $(VENV)/.extras-stamp
EXTRAS := requirements/deploy.txt requirements/vis.txt requirements/search.txt \
	requirements/milvus.txt \
	requirements/web.txt
REQS := requirements/runtime.txt requirements/tests.txt requirements/lm.txt \
	setup.py
DEMO_CONFIG := configs/clear/par_synthetic.py
DEMO_DIR := work_dirs/demo
RET_CONFIG := configs/clear/ret_synthetic.py
RET_DIR := work_dirs/demo_ret
# the first four test images (the test split is images 3500-4499)
DEMO_IMAGES := $(foreach i,3500 3501 3502 3503,data/synthetic/images/00$(i).png)
export PYTHONWARNINGS := ignore
export HF_HUB_OFFLINE := 1

# the index make demo builds; make serve INDEX=<folder> for another
INDEX ?= $(RET_DIR)/search_index
PORT ?= 7860

.PHONY: venv extras demo test serve benchmark clean

venv: $(STAMP)

# ONNX export / ONNX Runtime, scikit-learn (t-SNE), faiss (search index),
# pymilvus + milvus-lite (its Milvus backend) and gradio + selenium (search
# page): optional for users, needed by the demo's search, make serve, the
# tests of those tools and the inference benchmark.
extras: $(EXTRAS_STAMP)

$(EXTRAS_STAMP): $(STAMP) $(EXTRAS)
	$(PY) -m pip install -q $(addprefix -r ,$(EXTRAS))
	touch $(EXTRAS_STAMP)

# Re-installs only when a requirements file changed (the stamp is older).
$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt
	$(PY) -m pip install -q --no-deps -r requirements/lm.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: venv extras
	@start=$$(date +%s); \
	$(PY) tools/dataset_converters/generate_synthetic.py data/synthetic && \
	$(PY) tools/train.py $(DEMO_CONFIG) --work-dir $(DEMO_DIR) && \
	best=$$(ls -t $(DEMO_DIR)/best_par_mA_epoch_*.pth | head -n 1) && \
	echo "Best checkpoint: $$best" && \
	$(PY) tools/test.py $(DEMO_CONFIG) $$best --work-dir $(DEMO_DIR)/test \
		--out $(DEMO_DIR)/test_metrics.json \
		--record $(DEMO_DIR)/results.json && \
	echo "Recognition stage done after $$(( $$(date +%s) - start )) s" && \
	$(PY) tools/train.py $(RET_CONFIG) --work-dir $(RET_DIR) \
		--cfg-options model.par_checkpoint=$$best && \
	ret=$$(ls -t $(RET_DIR)/best_retrieval_mAP_epoch_*.pth | head -n 1) && \
	echo "Best retrieval checkpoint: $$ret" && \
	$(PY) tools/test.py $(RET_CONFIG) $$ret --work-dir $(RET_DIR)/test \
		--out $(RET_DIR)/test_metrics.json \
		--record $(RET_DIR)/results.json && \
	$(PY) tools/analysis_tools/attribute_search.py $(RET_CONFIG) $$ret \
		--num-random 4 --topk 5 \
		--out $(RET_DIR)/retrieval_examples.png && \
	$(PY) tools/infer.py $(DEMO_CONFIG) $$best $(DEMO_IMAGES) \
		--out $(DEMO_DIR)/attributes.json --show-dir $(RET_DIR)/attributes && \
	$(PY) tools/analysis_tools/search_demo.py $(RET_CONFIG) $$ret \
		--index $(RET_DIR)/search_index && \
	echo "Recognition metrics: $(DEMO_DIR)/test_metrics.json" && \
	echo "Retrieval metrics: $(RET_DIR)/test_metrics.json" && \
	echo "Demo wall time: $$(( $$(date +%s) - start )) s"

test: venv extras
	$(PY) -m pytest tests -q

# the person-search web page over a gallery index (tools/search.py index)
serve: venv extras
	$(PY) projects/gradio_demo/search_app.py $(INDEX) --port $(PORT)

benchmark: venv extras
	$(PY) tools/analysis_tools/benchmark_model.py configs/clear/par_pa100k.py \
		--profile --out results/benchmark_model_paper.json
	$(PY) tools/analysis_tools/benchmark_retrieval.py configs/clear/ret_synthetic.py
	$(PY) tools/analysis_tools/benchmark_inference.py --sweep --repeats 20 \
		--out results/benchmark_inference.json

clean:
	rm -rf $(DEMO_DIR) $(RET_DIR)
