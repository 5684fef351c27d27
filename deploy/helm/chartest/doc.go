// Package chartest tests the Helm chart in ../deskbot: it renders the chart
// with Helm's own engine (as "helm template" and "helm install" do), checks
// the values schema, and reads every object back into its Kubernetes API
// type, so a misspelt field fails like a refused manifest would.
//
// It is a module of its own, so that Helm and the Kubernetes API types stay
// out of deskbot's go.mod; `make test` runs it (`make chart` alone). It may
// import Helm, the Kubernetes API types and the standard library; it reads
// deskbot's code only as text (the variables config.go reads).
package chartest
