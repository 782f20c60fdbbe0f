# ack-platform: every entry point a person or CI uses. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools/bin
export PATH := $(TOOLS):$(PATH)
# Never download plugins at run time: the engine uses the ones in .tools/bin.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_SKIP_UPDATE_CHECK := true

STACK ?= dev
GO_TEST_FLAGS ?= -count=1 -timeout 60m

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## build the pinned toolchain into .tools/bin (cached by version)
	tools/install-tools.sh

.PHONY: build
build: ## compile the program
	go build ./...

.PHONY: vet
vet: ## go vet every module of the repository
	go vet ./...
	cd sdks/alicloud && go vet ./...
	cd tools/sdkgen && go vet ./...

.PHONY: test
test: tools vet ## install what the tests need, then run every test (the CI command)
	go test $(GO_TEST_FLAGS) ./...

.PHONY: sdk
sdk: ## regenerate the alicloud SDK subset from sdks/alicloud/subset.json and the npm package
	go test -count=1 ./tests/sdk -run TestSchemaReproducible -update
	cd tools/sdkgen && go run . -schema ../../sdks/alicloud/schema.json -out ../../sdks/alicloud

.PHONY: summary
summary: ## preview STACK and print its pull-request summary (needs `pulumi login`)
	tools/ci/preview-summary.sh $(STACK) .cache/preview/$(STACK)

.PHONY: cluster-up
cluster-up: ## start a local cluster with a node (root) in .cluster/
	tools/cluster.sh up --node .cluster

.PHONY: cluster-down
cluster-down: ## stop the local cluster started by cluster-up
	tools/cluster.sh down .cluster

.PHONY: docs
docs: ## regenerate docs/config.md from the config types
	go run ./tools/configdoc > docs/config.md

.PHONY: render
render: tools ## the main job: run the local stack with the real engine, manifests to rendered/local
	tools/render.sh

.PHONY: release
release: ## set an image tag: make release ENV=dev SERVICE=gateway TAG=1.8.3 [STACK=dev]; redraws the diagrams
	tools/release.sh $(ENV) $(SERVICE) $(TAG) $(STACK)
	$(MAKE) --no-print-directory diagram

.PHONY: bench
bench: tools ## print build, test, engine and kubectl timings side by side
	tools/bench.sh

.PHONY: diagram
diagram: ## draw the deployment and call chain of every stack: docs/architecture.md (Mermaid) and docs/diagrams/*.svg
	tools/install-tools.sh graphviz
	go run ./tools/diagram -out docs
