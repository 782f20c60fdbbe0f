// Command configdoc writes the configuration reference (docs/config.md)
// from the doc comments and json tags of the typed config in stacks/config,
// so the reference cannot drift from the code that reads it.
//
//	go run ./tools/configdoc > docs/config.md
package main

import (
	"fmt"
	"os"

	"github.com/ack-platform/ack-platform/tools/configdoc/reference"
)

func main() {
	dir := "stacks/config"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	out, err := reference.Generate(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configdoc:", err)
		os.Exit(1)
	}
	os.Stdout.Write(out)
}
