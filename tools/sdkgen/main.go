// Command sdkgen generates the Go SDK subset for alicloud from a Pulumi
// package schema, with the same codegen the official SDK uses
// (pkg/v3/codegen/go).
//
//	go run . -schema ../../sdks/alicloud/schema.json -out ../../sdks/alicloud
//
// The generated files are written under <out>/go (which is replaced as a
// whole, so files of removed resources disappear). Output is deterministic.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every external package: the subset schema is
// self-contained.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("external package %q: the subset schema must be self-contained", pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("external package %q: the subset schema must be self-contained", d.Name)
}

// Generate binds the schema file and returns the generated files, keyed by
// slash-separated paths relative to the output's go/ folder.
func Generate(schemaPath string) (map[string][]byte, error) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("parse %s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("bind schema: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("bind schema: %s", diags.Error())
	}
	return gogen.GeneratePackage("pulumi", pkg, nil)
}

func write(outDir string, files map[string][]byte) error {
	goDir := filepath.Join(outDir, "go")
	if err := os.RemoveAll(goDir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(goDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	schemaPath := flag.String("schema", "../../sdks/alicloud/schema.json", "Pulumi package schema of the subset")
	outDir := flag.String("out", "../../sdks/alicloud", "module root of the generated SDK; files go to <out>/go")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen [-schema file] [-out dir]")
		os.Exit(2)
	}
	files, err := Generate(*schemaPath)
	if err == nil {
		if len(files) == 0 {
			err = errors.New("codegen produced no files")
		} else {
			err = write(*outDir, files)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
	fmt.Printf("sdkgen: wrote %d files under %s\n", len(files), filepath.Join(*outDir, "go"))
}
