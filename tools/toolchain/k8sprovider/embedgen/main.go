// Command embedgen writes the two JSON files that the Kubernetes provider's
// main package embeds: the schema stamped with the provider version, and the
// terraform mapping, both compacted. The provider's release process does the
// same in its generate.go, which is not part of the published module.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"
)

func main() {
	version := flag.String("version", "", "provider version to stamp into the schema")
	dir := flag.String("dir", ".", "folder holding schema.json and terraform-mapping.json")
	flag.Parse()
	if *version == "" {
		log.Fatal("-version is required")
	}

	var schema map[string]any
	readJSON(filepath.Join(*dir, "schema.json"), &schema)
	schema["version"] = *version
	writeJSON(filepath.Join(*dir, "schema-embed.json"), schema)

	var mapping any
	readJSON(filepath.Join(*dir, "terraform-mapping.json"), &mapping)
	writeJSON(filepath.Join(*dir, "terraform-mapping-embed.json"), mapping)
}

func readJSON(path string, v any) {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		log.Fatalf("%s: %v", path, err)
	}
}

func writeJSON(path string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		log.Fatal(err)
	}
}
