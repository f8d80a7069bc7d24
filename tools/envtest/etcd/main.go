// Command etcd is a thin wrapper around etcdmain so the etcd server can be
// built with `go build` from this module (go.etcd.io/etcd/server/v3 has no
// main package of its own).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
