# deskbot — the two commands a newcomer needs: `make run` and `make test`.
GO ?= go
GOFLAGS ?=
TEST_TIMEOUT ?= 9m

.PHONY: run test vet fmtcheck chart build bench fmt

## run: start deskbot on the embedded SQLite database (or DATABASE_URL / REDIS_URL if set)
run:
	$(GO) run ./cmd/deskbot

## test: gofmt and go vet, then the whole suite with the race detector (needs the local Postgres and Redis), then the Helm chart's tests
test: fmtcheck vet
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) --no-print-directory chart

## chart: render the Helm chart (deploy/helm/deskbot) with Helm's engine and check it; its own module, so Helm stays out of go.mod
chart:
	cd deploy/helm/chartest && $(GO) vet ./... && $(GO) test ./...

vet:
	$(GO) vet ./...

## fmtcheck: fail, naming them, when files are not gofmt-formatted (make fmt fixes them)
fmtcheck:
	@files="$$(gofmt -l .)"; if [ -n "$$files" ]; then echo "not gofmt-formatted (make fmt fixes them):"; echo "$$files"; exit 1; fi

build:
	$(GO) build -o bin/deskbot ./cmd/deskbot

## bench: the benchmarks with their same-run baselines
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

fmt:
	gofmt -l -w .
