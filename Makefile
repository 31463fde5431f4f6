# Two commands for a newcomer: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1

TS_BIN := artifacts/bin/TokenService/release/TokenService

.PHONY: help prerequisites build run test migrate bench cluster fmt fmt-check clean db-start db-stop

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

prerequisites: ## Install what make run/test need and lack (PostgreSQL server binaries, make, openssl, curl; apt-get)
	@scripts/install-prerequisites.sh

build: ## Build everything (Release)
	dotnet build TokenService.slnx -c Release -nologo -clp:ErrorsOnly

run: prerequisites build ## Local PostgreSQL + migrations + demo application + both services; prints a working curl
	@scripts/run-local.sh

test: prerequisites ## Run every test against real PostgreSQL; ends with "N passed, N failed, N skipped"
	@scripts/test.sh

migrate: build ## Apply database migrations (DATABASE_URL, else the local cluster)
	@if [ -z "$${DATABASE_URL:-}" ]; then export DATABASE_URL=$$(db/local-pg.sh start); fi; $(TS_BIN) migrate

bench: ## Benchmark issuance and the API; prints each figure beside its target
	@scripts/bench.sh

cluster: build ## PostgreSQL with failover (pg_auto_failover), pgbouncer, 2+2 instances behind HAProxy; Ctrl-C stops it
	@scripts/cluster.sh

fmt: ## Format the code (dotnet format)
	dotnet format TokenService.slnx

fmt-check: ## Fail if the code is not formatted (dotnet format, then line length; CI runs it before the tests)
	dotnet format TokenService.slnx --verify-no-changes --no-restore
	@scripts/check-line-length.sh

clean: ## Stop the local cluster and remove build output and local state
	-@db/local-pg.sh stop
	-@PGLOCAL_DIR=$$PWD/.local/pg-test PGLOCAL_PORT=54330 db/local-pg.sh stop
	rm -rf artifacts test-artifacts .local

db-start: ## Start the local PostgreSQL cluster only
	@db/local-pg.sh start

db-stop: ## Stop the local PostgreSQL cluster
	@db/local-pg.sh stop
