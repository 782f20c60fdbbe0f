package registry

import (
	"encoding/json"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The ACK add-on that gives service accounts temporary ACR pull
// credentials, so no registry password is stored: self-managed and managed
// editions, configured alike.
const (
	CredentialHelperAddon        = "aliyun-acr-credential-helper"
	ManagedCredentialHelperAddon = "managed-aliyun-acr-credential-helper"
)

// IsCredentialHelper tells whether an add-on is an edition of the helper.
func IsCredentialHelper(name string) bool {
	return name == CredentialHelperAddon || name == ManagedCredentialHelperAddon
}

// HelperArgs is what the credential helper serves.
type HelperArgs struct {
	// InstanceID is the Enterprise instance; empty for a Personal one.
	InstanceID pulumi.StringInput
	// Region of the instance.
	Region string
	// Namespaces and ServiceAccounts ("*" for all) get the credentials.
	// No namespace means every namespace ("all"): a platform stack that
	// does not know its workload stacks' namespaces serves them all.
	Namespaces      []string
	ServiceAccounts []string
}

// HelperConfig is the add-on's configuration: the instance it fetches
// credentials from, and the namespaces and service accounts that get them.
// Credentials are renewed 15 minutes before they expire.
func HelperConfig(a HelperArgs) pulumi.StringOutput {
	id := a.InstanceID
	if id == nil {
		id = pulumi.String("")
	}
	watch := strings.Join(a.Namespaces, ",")
	if watch == "" {
		watch = "all"
	}
	return id.ToStringOutput().ApplyT(func(instance string) (string, error) {
		b, err := json.Marshal(helperConfig{
			AcrInstanceInfo:   []acrInstance{{InstanceID: instance, RegionID: a.Region}},
			WatchNamespace:    watch,
			ServiceAccount:    strings.Join(a.ServiceAccounts, ","),
			ExpiringThreshold: "15m",
		})
		return string(b), err
	}).(pulumi.StringOutput)
}

type helperConfig struct {
	AcrInstanceInfo   []acrInstance `json:"AcrInstanceInfo"`
	WatchNamespace    string        `json:"watchNamespace"`
	ServiceAccount    string        `json:"serviceAccount"`
	ExpiringThreshold string        `json:"expiringThreshold"`
}

type acrInstance struct {
	InstanceID string `json:"instanceId"`
	RegionID   string `json:"regionId"`
}
