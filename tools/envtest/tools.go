//go:build tools

// Package tools records the commands built from this module so that
// `go mod tidy` keeps their dependencies in go.mod/go.sum.
package tools

import (
	_ "helm.sh/helm/v3/cmd/helm"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
