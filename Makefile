# ack-platform: every entry point a person or CI uses. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools/bin
export PATH := $(TOOLS):$(PATH)
# Never download plugins at run time: the engine uses the ones in .tools/bin.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION := true
export PULUMI_SKIP_UPDATE_CHECK := true

STACK ?= dev
# -p 3: the real-node packages take turns on the one node and wait
# without using the CPU; a third slot keeps the other suites running.
GO_TEST_FLAGS ?= -count=1 -timeout 80m -p 3

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

.PHONY: node-tools
node-tools: ## build the real node's tools (kubelet, kube-proxy, kube-scheduler, kube-network-policies, stand-ins; containerd from Debian)
	tools/install-tools.sh node standin

# Every suite runs here, the real-node ones (tests/node, tests/cluster's
# node test, the workload half of tests/rehearsal) as root; they take turns
# on the machine's one node (docs/e2e.md).
.PHONY: test
test: tools node-tools vet ## install what the tests need, then run every test (the CI command)
	go test $(GO_TEST_FLAGS) ./...

# NetworkPolicy enforcement on the node needs a kernel with nft_queue
# (CONFIG_NFT_QUEUE), which the CI machines' kernel lacks: this test runs on
# its own, where the kernel has it (docs/e2e.md, "Real node").
.PHONY: test-netpol
test-netpol: tools node-tools ## prove the program's NetworkPolicies on the real node (root; a kernel with nft_queue)
	NODE_NETPOL=1 go test $(GO_TEST_FLAGS) -tags netpol -run TestNetworkPolicyEnforced -v ./tests/node

# The whole migration guide on the emulated cloud and the node, the
# environments' moves and the access rename included; not yet green, so not
# in `make test` (docs/migration.md, "Proof").
.PHONY: test-migration
test-migration: tools node-tools ## rehearse the whole docs/migration.md on the emulated cloud and the node (root)
	go test $(GO_TEST_FLAGS) -tags migration -run 'TestRehearsalMigrationRecreatesNothing$$' -v ./tests/rehearsal

.PHONY: sdk
sdk: ## regenerate the alicloud SDK subset from sdks/alicloud/subset.json and the npm package
	go test -count=1 ./tests/sdk -run TestSchemaReproducible -update
	cd tools/sdkgen && go run . -schema ../../sdks/alicloud/schema.json -out ../../sdks/alicloud

.PHONY: summary
summary: ## preview STACK and print its pull-request summary (needs `pulumi login`)
	tools/ci/preview-summary.sh $(STACK) .cache/preview/$(STACK)

# Workload stacks refresh and destroy with --run-program, so they fetch a
# fresh cluster credential instead of reusing the expired one in their state
# (docs/stacks.md); tools/engine.sh adds it.
.PHONY: up preview refresh destroy
up: ## pulumi up on STACK as its layer needs: workload stacks skip checkpoints and refresh (tools/engine.sh)
	tools/engine.sh $(STACK) up

preview: ## pulumi preview on STACK as its layer needs (tools/engine.sh)
	tools/engine.sh $(STACK) preview --diff

refresh: ## refresh STACK from the cloud and the cluster, with a fresh cluster credential
	tools/engine.sh $(STACK) refresh --yes

destroy: ## destroy STACK (workload stacks before their platform stack), with a fresh cluster credential
	tools/engine.sh $(STACK) destroy

.PHONY: cluster-up
cluster-up: node-tools ## start a local cluster with a node (root) in .cluster/
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

# The release map lives in the environment's own stack file, Pulumi.<ENV>.yaml:
# STACK defaults to ENV here, not to the STACK default above; only a STACK
# given on the command line or in the environment (e.g. local) overrides it.
RELEASE_STACK = $(if $(filter command environment,$(firstword $(origin STACK))),$(STACK),$(ENV))

.PHONY: release
release: ## set an image tag in Pulumi.<ENV>.yaml: make release ENV=test SERVICE=gateway TAG=1.8.3 [STACK=ENV]; redraws the diagrams
	tools/release.sh $(ENV) $(SERVICE) $(TAG) $(RELEASE_STACK)
	$(MAKE) --no-print-directory diagram

.PHONY: bench
bench: tools ## engine timings of workload stacks (10/30/100 services, file and S3 backends) against kubectl
	tools/bench.sh

.PHONY: diagram
diagram: ## draw the deployment and call chain of every stack: docs/architecture.md (Mermaid) and docs/diagrams/*.svg
	tools/install-tools.sh graphviz
	go run ./tools/diagram -out docs
