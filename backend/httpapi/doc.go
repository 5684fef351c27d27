// Package httpapi serves deskbot's JSON API (/api/v1/…) and the health
// endpoints on net/http. Every request is authenticated with an API token
// (Authorization: Bearer dbt_…) and every action goes through
// backend.Service, which checks the caller's role.
//
// It imports backend and the standard library only.
package httpapi
