// Command pulumi-resource-alicloud is an emulated Alibaba Cloud for
// rehearsing the platform and workload stacks with the real Pulumi engine,
// offline (docs/e2e.md, "Emulated Alibaba Cloud"). It must never serve a
// real deployment: tools/install-tools.sh builds it into the tool cache and
// .tools/emulator/, never onto PATH nor into the project's Pulumi.yaml, and it
// refuses to start unless the test harness sets ACK_ALICLOUD_EMULATOR=1.
//
// Environment (set by the harness):
//
//	ACK_ALICLOUD_EMULATOR=1              required
//	ACK_ALICLOUD_EMULATOR_ROOT=DIR       repository root: sdks/alicloud/schema.json and
//	                                     tools/emulator/alicloud-tf-flags.json are read from it
//	ACK_ALICLOUD_EMULATOR_STATE=DIR      the emulated account (shared by every stack of a rehearsal)
//	ACK_ALICLOUD_EMULATOR_KUBECONFIG=F   admin kubeconfig of the local cluster the
//	                                     credential invoke hands out (optional)
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/ack-platform/ack-platform/tools/emulator/emulated"
)

// FlagsFile is the committed flags file, relative to the repository root.
const FlagsFile = "tools/emulator/alicloud-tf-flags.json"

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-alicloud (emulated): %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	if os.Getenv(emulated.Env) != "1" {
		return fmt.Errorf("refusing to start: this is the emulated Alibaba Cloud for test rehearsals, "+
			"not the real alicloud provider; only a test harness that sets %s=1 may run it", emulated.Env)
	}
	root, state := os.Getenv(emulated.EnvRoot), os.Getenv(emulated.EnvState)
	if root == "" || state == "" {
		return fmt.Errorf("%s and %s must be set by the harness", emulated.EnvRoot, emulated.EnvState)
	}
	schema, err := os.ReadFile(filepath.Join(root, "sdks", "alicloud", "schema.json"))
	if err != nil {
		return err
	}
	flags, err := os.ReadFile(filepath.Join(root, FlagsFile))
	if err != nil {
		return err
	}
	p, err := emulated.New(emulated.Options{Schema: schema, Flags: flags, StateDir: state,
		Kubeconfig: os.Getenv(emulated.EnvKubeconfig)})
	if err != nil {
		return err
	}
	return provider.Main("alicloud", func(*provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return plugin.NewProviderServer(p), nil
	})
}
