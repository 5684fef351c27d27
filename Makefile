# deskbot — the two commands a newcomer needs: `make run` and `make test`.
GO ?= go
GOFLAGS ?=
TEST_TIMEOUT ?= 9m

.PHONY: run test vet build bench fmt

## run: start deskbot on the embedded SQLite database (or DATABASE_URL / REDIS_URL if set)
run:
	$(GO) run ./cmd/deskbot

## test: go vet, then the whole suite with the race detector (needs the local Postgres and Redis)
test: vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...

vet:
	$(GO) vet ./...

build:
	$(GO) build -o bin/deskbot ./cmd/deskbot

## bench: the benchmarks with their same-run baselines
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

fmt:
	gofmt -l -w .
