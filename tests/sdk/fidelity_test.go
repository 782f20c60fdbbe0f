package sdk_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/ack-platform/ack-platform/tests/sdk"
)

func loadSchema(t *testing.T) *sdk.PackageSpec {
	t.Helper()
	s, err := sdk.LoadSchema(filepath.Join(sdkDir(t), "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFidelity checks every resource, function, type and the provider of the
// subset schema against @pulumi/alicloud of the same version.
func TestFidelity(t *testing.T) {
	npm := openNPM(t)
	s := loadSchema(t)
	if s.Version != "3.108.0" || s.Name != "alicloud" {
		t.Fatalf("schema is %s %s, want alicloud 3.108.0", s.Name, s.Version)
	}
	if len(s.Resources) == 0 || len(s.Functions) == 0 || len(s.Types) == 0 {
		t.Fatalf("schema holds %d resources, %d functions, %d types", len(s.Resources), len(s.Functions), len(s.Types))
	}
	for _, e := range sdk.CheckFidelity(npm, s) {
		t.Error(e)
	}
	t.Logf("checked %d resources, %d functions, %d types against %s", len(s.Resources), len(s.Functions), len(s.Types), npm.Dir)
}

var update = flag.Bool("update", false, "rewrite sdks/alicloud/schema.json from subset.json and the npm package")

// TestSchemaReproducible checks that schema.json is exactly what
// subset.json extracts from the npm package (so it was not hand-edited).
// With -update it rewrites schema.json instead (`make sdk`).
func TestSchemaReproducible(t *testing.T) {
	npm := openNPM(t)
	raw, err := os.ReadFile(filepath.Join(sdkDir(t), "subset.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sub sdk.Subset
	if err := json.Unmarshal(raw, &sub); err != nil {
		t.Fatal(err)
	}
	s, err := sdk.ExtractSchema(npm, &sub)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sdkDir(t), "schema.json")
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("sdks/alicloud/schema.json differs from what subset.json extracts; run `make sdk`")
	}
}

// TestFidelityCatchesMistakes mutates copies of the schema and checks that
// each mistake is reported.
func TestFidelityCatchesMistakes(t *testing.T) {
	npm := openNPM(t)
	const np = "alicloud:cs/nodePool:NodePool"
	const mw = "alicloud:cs/ManagedKubernetesMaintenanceWindow:ManagedKubernetesMaintenanceWindow"
	cases := []struct {
		name   string
		mutate func(s *sdk.PackageSpec)
		want   string
	}{
		{"wrong input name", func(s *sdk.PackageSpec) {
			r := s.Resources[np]
			r.InputProperties["nodePoolNam"] = r.InputProperties["nodePoolName"]
			delete(r.InputProperties, "nodePoolName")
		}, "property nodePoolNam does not exist"},
		{"wrong output name", func(s *sdk.PackageSpec) {
			r := s.Resources["alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc"]
			r.Properties["vpcIds"] = r.Properties["vpcId"]
			delete(r.Properties, "vpcId")
		}, "property vpcIds does not exist"},
		{"wrong input type", func(s *sdk.PackageSpec) {
			s.Resources[np].InputProperties["systemDiskSize"] = &sdk.PropertySpec{Type: "string"}
		}, "systemDiskSize: schema type string, TS type number"},
		{"wrong nested type", func(s *sdk.PackageSpec) {
			s.Types[mw].Properties["enable"] = &sdk.PropertySpec{Type: "string"}
		}, "enable: schema type string, TS type boolean"},
		{"wrong array-ness", func(s *sdk.PackageSpec) {
			s.Resources[np].InputProperties["vswitchIds"] = &sdk.PropertySpec{Type: "string"}
		}, "vswitchIds: schema type string, TS type string[]"},
		{"wrong required input", func(s *sdk.PackageSpec) {
			r := s.Resources[np]
			r.RequiredInputs = append(r.RequiredInputs, "nodePoolName")
		}, "nodePoolName: required is true in the schema, false in TS"},
		{"missing required input", func(s *sdk.PackageSpec) {
			s.Resources[np].RequiredInputs = nil
		}, "clusterId: required is false in the schema, true in TS"},
		{"wrong required output", func(s *sdk.PackageSpec) {
			r := s.Resources[np]
			r.Required = append(r.Required, "keyName")
		}, "keyName: required is true in the schema, false in TS"},
		{"missing secret", func(s *sdk.PackageSpec) {
			s.Resources[np].Properties["password"].Secret = false
		}, "password: secret is false in the schema, true in the npm .js (additionalSecretOutputs)"},
		{"extra secret", func(s *sdk.PackageSpec) {
			s.Resources[np].Properties["keyName"].Secret = true
		}, "keyName: secret is true in the schema, false in the npm .js"},
		{"wrong token", func(s *sdk.PackageSpec) {
			s.Resources["alicloud:cs/nodePool:NodePools"] = s.Resources[np]
		}, "does not declare __pulumiType = 'alicloud:cs/nodePool:NodePools'"},
		{"wrong function input", func(s *sdk.PackageSpec) {
			f := s.Functions["alicloud:cs/getClusterCredential:getClusterCredential"]
			f.Inputs.Properties["temporaryDurationMinutes"] = &sdk.PropertySpec{Type: "boolean"}
		}, "temporaryDurationMinutes: schema type boolean, TS type number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSchema(t) // a fresh copy each time
			if errs := sdk.CheckFidelity(npm, s); len(errs) != 0 {
				t.Fatalf("unmutated schema already fails: %v", errs)
			}
			tc.mutate(s)
			errs := sdk.CheckFidelity(npm, s)
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("mutation not caught: want an error containing %q, got %q", tc.want, errs)
		})
	}
}
