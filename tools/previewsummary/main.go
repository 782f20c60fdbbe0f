// Command previewsummary turns `pulumi preview --json` output into a compact
// Markdown summary for a pull-request comment or a CI job summary.
//
//	pulumi preview --stack dev --diff --json > preview.json
//	go run ./tools/previewsummary -stack dev -in preview.json > summary.md
//
// Without -in (or with -in -) it reads standard input.
//
// -fingerprint prints the plan's fingerprint instead (see
// summary.Report.Fingerprint): the prod deployment compares the fresh
// preview's with the approved one. -drift exits with status 3 after writing
// the summary when the preview plans any change other than a credential
// refresh: scheduled drift detection uses it in place of
// --expect-no-changes, which would also fail on the refreshed credential.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

// errDrift is returned by run when -drift is set and the preview plans changes.
var errDrift = errors.New("the preview plans changes: the stack has drifted from its program and config")

// driftStatus is the exit status for errDrift, distinct from a failure (1).
const driftStatus = 3

func main() {
	err := run(os.Args[1:], os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, errDrift):
		fmt.Fprintln(os.Stderr, "previewsummary:", err)
		os.Exit(driftStatus)
	case err != nil:
		fmt.Fprintln(os.Stderr, "previewsummary:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("previewsummary", flag.ContinueOnError)
	stack := fs.String("stack", "", "stack name for the title (default: taken from the resource URNs)")
	in := fs.String("in", "-", "preview JSON file, - for standard input")
	limit := fs.Int("limit", summary.DefaultLimit, "maximum size of the summary in bytes (GitHub comments allow 65,536 characters)")
	fingerprint := fs.Bool("fingerprint", false, "print the plan's fingerprint instead of the summary")
	drift := fs.Bool("drift", false, "after the summary, fail (status 3) when the preview plans any change other than a credential refresh")
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
	rep := summary.Build(digest, *stack)
	if *fingerprint {
		_, err = fmt.Fprintln(stdout, rep.Fingerprint())
		return err
	}
	if _, err := io.WriteString(stdout, rep.Markdown(*limit)); err != nil {
		return err
	}
	if *drift && (rep.HasChanges() || len(rep.Errors) > 0) {
		return errDrift
	}
	return nil
}
