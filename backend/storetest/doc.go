// Package storetest is the contract test suite that every backend.Store must
// pass: Exercise runs one subtest per method and behaviour against a fresh
// store, so that backend/sqlite and backend/postgres behave the same and the
// Service can rely on what backend.Store documents.
//
// storetest imports only the standard library and backend. It is test code
// that ships as a normal package so that each store's _test.go can call it.
package storetest
