// Command tfflags regenerates the emulator's flags file
// (tools/emulator/alicloud-tf-flags.json) from the Terraform provider's
// source: for every resource and function in the SDK subset's schema, which
// attributes are Required, Optional, Computed, ForceNew, Sensitive, which
// conflict (ConflictsWith) or come alone (ExactlyOneOf), their Default and
// MaxItems, nested blocks included. The Pulumi schema carries none of this.
//
// It reads two repository snapshots with git (no work tree needed): the
// Terraform provider at a release tag, parsed with go/ast (its schema
// literals), and pulumi-alicloud's provider/resources.go for the mapping
// from Pulumi tokens to Terraform names. Nothing of either is copied into
// the project but these facts.
//
//	go run ./tools/tfflags -provider-repo DIR -ref v1.289.0 -bridge-repo DIR
//
// It prints the coverage: how many of the schema's property names have
// Terraform flags, per resource.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tfflags:", err)
		os.Exit(1)
	}
}

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("tfflags", flag.ContinueOnError)
	providerRepo := fs.String("provider-repo", "", "git directory of github.com/aliyun/terraform-provider-alicloud")
	ref := fs.String("ref", "v1.289.0", "release tag of the Terraform provider to read")
	bridgeRepo := fs.String("bridge-repo", "", "git directory of github.com/pulumi/pulumi-alicloud (token mapping)")
	bridgeRef := fs.String("bridge-ref", "HEAD", "revision of pulumi-alicloud to read provider/resources.go from")
	schemaPath := fs.String("schema", "sdks/alicloud/schema.json", "the SDK subset's Pulumi schema")
	out := fs.String("out", "tools/emulator/alicloud-tf-flags.json", "flags file to write")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *providerRepo == "" || *bridgeRepo == "" {
		return fmt.Errorf("-provider-repo and -bridge-repo are required")
	}

	schemaJSON, err := os.ReadFile(*schemaPath)
	if err != nil {
		return err
	}
	var schema Schema
	if err := json.Unmarshal(schemaJSON, &schema); err != nil {
		return fmt.Errorf("%s: %w", *schemaPath, err)
	}

	commit, err := git(*providerRepo, "rev-parse", *ref+"^{commit}")
	if err != nil {
		return err
	}
	bridgeCommit, err := git(*bridgeRepo, "rev-parse", *bridgeRef+"^{commit}")
	if err != nil {
		return err
	}
	src, err := os.MkdirTemp("", "tfflags-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(src)
	archive := exec.Command("sh", "-c", `git --git-dir="$1" archive "$2" alicloud | tar -x -C "$3"`, "sh", *providerRepo, commit, src)
	if b, err := archive.CombinedOutput(); err != nil {
		return fmt.Errorf("git archive %s: %v: %s", *ref, err, b)
	}
	resourcesGo, err := git(*bridgeRepo, "show", bridgeCommit+":provider/resources.go")
	if err != nil {
		return err
	}
	tfNames, mods, err := tokenMap(resourcesGo)
	if err != nil {
		return err
	}

	file, cov, err := generate(&schema, tfNames, mods, filepath.Join(src, "alicloud"))
	if err != nil {
		return err
	}
	file["_meta"] = map[string]any{
		"source": fmt.Sprintf("github.com/aliyun/terraform-provider-alicloud %s (%s), alicloud/*.go schema literals read with go/ast", *ref, commit),
		"mapping": fmt.Sprintf("Pulumi token -> Terraform name from github.com/pulumi/pulumi-alicloud provider/resources.go (%s); "+
			"property name = camelCase(tf_name), +s / y->ies pluralisation tried when matching schema.json", bridgeCommit),
		"note": "default is the Go source text of Default (string literals unquoted); nested block attributes appear as " +
			"parent.child keys with nested=true; inSchema says whether the name is in sdks/alicloud/schema.json",
		"generator": "go run ./tools/tfflags (see docs/e2e.md, Emulated Alibaba Cloud)",
		"coverage":  cov,
	}
	b, err := json.MarshalIndent(file, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	printCoverage(log, cov)
	return nil
}

func git(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"--git-dir", dir}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// printCoverage writes one line per token and a total.
func printCoverage(w io.Writer, cov map[string]Coverage) {
	tokens := make([]string, 0, len(cov))
	for t := range cov {
		tokens = append(tokens, t)
	}
	sort.Strings(tokens)
	matched, total := 0, 0
	for _, t := range tokens {
		c := cov[t]
		matched += c.Matched
		total += c.SchemaProperties
		line := fmt.Sprintf("%-72s %-36s %3d/%3d schema names, %3d nested", t, c.TFName, c.Matched, c.SchemaProperties, c.Nested)
		if len(c.SchemaNotInTF) > 0 {
			line += "; not in the provider: " + strings.Join(c.SchemaNotInTF, ", ")
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "coverage: %d of %d schema property names have Terraform flags\n", matched, total)
}
