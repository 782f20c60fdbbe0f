package sdk_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	sdk "github.com/ack-platform/ack-platform/tests/sdk"
)

// TestExtractSchema rewrites sdks/alicloud/schema.json from the npm package
// and sdks/alicloud/subset.json. It only runs when asked:
//
//	SDK_EXTRACT_SCHEMA=1 go test ./tests/sdk -run TestExtractSchema
func TestExtractSchema(t *testing.T) {
	if os.Getenv("SDK_EXTRACT_SCHEMA") != "1" {
		t.Skip("set SDK_EXTRACT_SCHEMA=1 to rewrite sdks/alicloud/schema.json")
	}
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
	out, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sdkDir(t), "schema.json"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}
