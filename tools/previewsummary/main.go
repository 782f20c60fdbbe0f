// Command previewsummary turns `pulumi preview --json` output into a compact
// Markdown summary for a pull-request comment or a CI job summary.
//
//	pulumi preview --stack dev --diff --json > preview.json
//	go run ./tools/previewsummary -stack dev -in preview.json > summary.md
//
// Without -in (or with -in -) it reads standard input.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "previewsummary:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("previewsummary", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack name for the title (default: taken from the resource URNs)")
	in := fs.String("in", "-", "preview JSON file, - for standard input")
	limit := fs.Int("limit", summary.DefaultLimit, "maximum size of the summary in bytes (GitHub comments allow 65,536 characters)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	r := stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	digest, err := summary.Parse(r)
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	_, err = io.WriteString(stdout, summary.Build(digest, *stack).Markdown(*limit))
	return err
}
