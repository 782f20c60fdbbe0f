package config

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
)

// Nacos modes.
const (
	NacosInCluster = "in-cluster"
	NacosExternal  = "external"
)

// Nacos storage: the embedded database (Derby, Raft-replicated in cluster
// mode), which Nacos recommends for testing only, or an external MySQL
// such as an RDS instance.
const (
	NacosEmbedded = "embedded"
	NacosMySQL    = "mysql"
)

// StatefulPoolLabel marks the node pool that keeps stateful members: a
// pool labelled workload=stateful gets the Nacos members by default.
var StatefulPoolLabel = map[string]string{"workload": "stateful"}

// DefaultNacosRepository is the mirror repository of the Nacos server
// image unless nacos.repository says otherwise.
const DefaultNacosRepository = "nacos-server"

// Nacos configures service discovery.
type Nacos struct {
	// Mode is in-cluster (default: one Nacos per environment namespace) or external.
	Mode string `json:"mode"`
	// Replicas: 3 (cluster mode) on prod, 1 (standalone) elsewhere.
	Replicas int `json:"replicas"`
	// Repository of the image in the mirror (mirrored from
	// nacos/nacos-server). Default nacos-server.
	Repository string `json:"repository"`
	// Version is the image tag. Default v2.4.3.
	Version string `json:"version"`
	// StorageSize of each member's disk. Default 20Gi (the ESSD minimum on ACK).
	StorageSize string `json:"storageSize"`
	// StorageClass. Default alicloud-disk-topology-alltype on the alicloud
	// target (WaitForFirstConsumer: the disk is created in the zone of the
	// node the member is scheduled to), the cluster default on local.
	StorageClass string `json:"storageClass"`
	// Resources of a member.
	Resources Resources `json:"resources,omitzero"`
	// Auth turns on Nacos' own authentication (default on).
	Auth NacosAuth `json:"auth,omitzero"`
	// Database is where an in-cluster Nacos keeps its data.
	Database NacosDatabase `json:"database,omitzero"`
	// NodeSelector and Tolerations place the members. Default: the node
	// pool labelled workload=stateful when the platform has one.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	Tolerations  []Toleration      `json:"tolerations,omitempty"`
	// External maps an environment to its external Nacos (mode external).
	External map[string]ExternalNacos `json:"external,omitempty"`
}

// NacosAuth names the secret config keys of Nacos' authentication.
type NacosAuth struct {
	// Enabled: default true.
	Enabled *bool `json:"enabled,omitempty"`
	// TokenSecretKey names the secret config key holding the token signing
	// key (Base64 of at least 32 bytes; NACOS_AUTH_TOKEN). In-cluster only.
	TokenSecretKey string `json:"tokenSecretKey,omitempty"`
	// IdentityKey names the secret config key of the header name members
	// identify each other with (NACOS_AUTH_IDENTITY_KEY).
	IdentityKey string `json:"identityKey,omitempty"`
	// IdentityValueKey names the secret config key of that header's value
	// (NACOS_AUTH_IDENTITY_VALUE).
	IdentityValueKey string `json:"identityValueKey,omitempty"`
	// Username the services log in with. Default nacos.
	Username string `json:"username,omitempty"`
	// PasswordKey names the secret config key of that user's password,
	// given to every Java service.
	PasswordKey string `json:"passwordKey,omitempty"`
}

// NacosDatabase is an in-cluster Nacos' storage.
type NacosDatabase struct {
	// Type is embedded (default outside prod) or mysql (required in prod).
	Type string `json:"type,omitempty"`
	// Host and Port of the MySQL server, e.g. an RDS instance's VPC address.
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// Name of the schema (created with Nacos' mysql-schema.sql). Default nacos.
	Name string `json:"name,omitempty"`
	// User of the database.
	User string `json:"user,omitempty"`
	// PasswordKey names the secret config key of the user's password.
	PasswordKey string `json:"passwordKey,omitempty"`
	// Cidr is where the database lives, for the members' egress policy.
	Cidr string `json:"cidr,omitempty"`
}

// ExternalNacos is a Nacos outside the cluster, e.g. MSE.
type ExternalNacos struct {
	// Address is host:port of the HTTP API (8848); gRPC is port+1000.
	Address string `json:"address"`
	// Cidr is where it lives, for the egress NetworkPolicy.
	Cidr string `json:"cidr"`
}

// AuthEnabled reports whether services must log in to Nacos.
func (n Nacos) AuthEnabled() bool { return n.Auth.Enabled == nil || *n.Auth.Enabled }

func (n *Nacos) setDefaults(c *Config) {
	prod := c.Tier == TierProd
	if n.Mode == "" {
		n.Mode = NacosInCluster
	}
	if n.Replicas == 0 {
		// Cluster mode needs a Raft majority that survives one member loss.
		n.Replicas = 1
		if prod {
			n.Replicas = 3
		}
	}
	if n.Repository == "" {
		n.Repository = DefaultNacosRepository
	}
	if n.Version == "" {
		n.Version = "v2.4.3"
	}
	if n.StorageSize == "" {
		// 20Gi is the smallest ESSD ACK provisions.
		n.StorageSize = "20Gi"
	}
	if n.StorageClass == "" && c.Target == TargetAlicloud {
		n.StorageClass = "alicloud-disk-topology-alltype"
	}
	if n.Auth.Username == "" {
		n.Auth.Username = "nacos"
	}
	if n.Database.Type == "" {
		n.Database.Type = NacosEmbedded
	}
	if n.Database.Type == NacosMySQL {
		if n.Database.Port == 0 {
			n.Database.Port = 3306
		}
		if n.Database.Name == "" {
			n.Database.Name = "nacos"
		}
	}
	if n.NodeSelector == nil && c.Platform != nil {
		for _, p := range c.Platform.NodePools {
			if hasLabels(p.Labels, StatefulPoolLabel) {
				n.NodeSelector = maps.Clone(StatefulPoolLabel)
				break
			}
		}
	}
	n.Resources = mergeResources(Resources{ResourceList{"250m", "1Gi", "512Mi"}, ResourceList{"1", "1Gi", "2Gi"}}, n.Resources)
}

func hasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func (w *Workloads) validateNacos(ps *Problems, c *Config, r Reader) {
	n := w.Nacos
	k := key("nacos")
	prod := c.Tier == TierProd
	if n.AuthEnabled() {
		checkSecretKey(ps, k+".auth.passwordKey", n.Auth.PasswordKey, r)
		if n.Auth.Username == "" {
			ps.Addf(k+".auth.username", "must not be empty")
		}
	} else if prod {
		ps.Addf(k+".auth.enabled", "prod Nacos holds configuration with credentials: keep authentication on")
	}
	switch n.Mode {
	case NacosInCluster:
		checkRepoPath(ps, k+".repository", n.Repository)
		if n.Version == "" || n.Version == "latest" || !imageTagRE.MatchString(n.Version) {
			ps.Addf(k+".version", "%q: pin a Nacos image tag such as v2.4.3", n.Version)
		}
		if n.Replicas != 1 && n.Replicas < 3 {
			ps.Addf(k+".replicas", "%d: 1 (standalone) or at least 3 (cluster mode needs a Raft majority)", n.Replicas)
		}
		if prod && n.Replicas < 3 {
			ps.Addf(k+".replicas", "%d: prod runs Nacos in cluster mode with at least 3 members", n.Replicas)
		}
		if v, err := parseQuantity(n.StorageSize); err != nil {
			ps.Addf(k+".storageSize", "%v", err)
		} else if c.Target == TargetAlicloud && mebibytes(n.StorageSize) < 20*1024 {
			ps.Addf(k+".storageSize", "%s is below 20Gi, the smallest ESSD disk ACK provisions", v.String())
		}
		checkResources(ps, k+".resources", n.Resources)
		if n.AuthEnabled() {
			checkSecretKey(ps, k+".auth.tokenSecretKey", n.Auth.TokenSecretKey, r)
			checkSecretKey(ps, k+".auth.identityKey", n.Auth.IdentityKey, r)
			checkSecretKey(ps, k+".auth.identityValueKey", n.Auth.IdentityValueKey, r)
		}
		w.validateNacosDatabase(ps, k+".database", prod, r)
		checkTolerations(ps, k+".tolerations", n.Tolerations)
		checkNodeSelector(ps, k+".nodeSelector", n.NodeSelector)
		if len(n.External) > 0 {
			ps.Addf(k+".external", "only used with mode external")
		}
	case NacosExternal:
		if n.Database != (NacosDatabase{Type: NacosEmbedded}) {
			ps.Addf(k+".database", "an external Nacos keeps its own storage; only used with mode in-cluster")
		}
		for envName := range w.Environments {
			if _, ok := n.External[envName]; !ok {
				ps.Addf(k+".external."+envName, "mode external: give the Nacos address of environment %s", envName)
			}
		}
		for envName, x := range n.External {
			xk := k + ".external." + envName
			e, ok := w.Environments[envName]
			if !ok {
				ps.Addf(xk, "unknown environment %q (not in ack-platform:environments)", envName)
			}
			host, port, err := net.SplitHostPort(x.Address)
			p, perr := strconv.Atoi(port)
			if err != nil || perr != nil || host == "" || p < 1 || p+1000 > 65535 {
				ps.Addf(xk+".address", "%q is not host:port (with the gRPC port, port+1000, below 65536)", x.Address)
			}
			if ok && *e.NetworkIsolation {
				if _, err := netip.ParsePrefix(x.Cidr); err != nil {
					ps.Addf(xk+".cidr", "%q: give the CIDR block of the external Nacos so the egress NetworkPolicy can allow it", x.Cidr)
				}
			}
		}
	default:
		ps.Addf(k+".mode", "%q is not one of in-cluster, external", n.Mode)
	}
}

func (w *Workloads) validateNacosDatabase(ps *Problems, k string, prod bool, r Reader) {
	d := w.Nacos.Database
	switch d.Type {
	case NacosEmbedded:
		if prod {
			ps.Addf(k+".type", "prod Nacos uses an external MySQL (RDS) or mode external (MSE): the embedded Derby store is for testing (Nacos cluster deployment guide)")
		}
		if d != (NacosDatabase{Type: NacosEmbedded}) {
			ps.Addf(k, "host, port, name, user, passwordKey and cidr are only used with type mysql")
		}
	case NacosMySQL:
		if !isDNSName(d.Host) && net.ParseIP(d.Host) == nil {
			ps.Addf(k+".host", "%q is not a host name or address", d.Host)
		}
		if d.Port < 1 || d.Port > 65535 {
			ps.Addf(k+".port", "%d is not a port number (1-65535)", d.Port)
		}
		if d.User == "" {
			ps.Addf(k+".user", "must not be empty")
		}
		checkSecretKey(ps, k+".passwordKey", d.PasswordKey, r)
		parsePrefix(ps, k+".cidr", d.Cidr)
	default:
		ps.Addf(k+".type", "%q is not one of embedded, mysql", d.Type)
	}
}

// NacosSecretKeys are the secret config keys an in-cluster Nacos reads, by
// the environment variable they become.
func (n Nacos) NacosSecretKeys() map[string]string {
	out := map[string]string{}
	if n.AuthEnabled() {
		out["NACOS_AUTH_TOKEN"] = n.Auth.TokenSecretKey
		out["NACOS_AUTH_IDENTITY_KEY"] = n.Auth.IdentityKey
		out["NACOS_AUTH_IDENTITY_VALUE"] = n.Auth.IdentityValueKey
	}
	if n.Database.Type == NacosMySQL {
		out["MYSQL_SERVICE_PASSWORD"] = n.Database.PasswordKey
	}
	return out
}

func checkTolerations(ps *Problems, k string, ts []Toleration) {
	for i, t := range ts {
		tk := fmt.Sprintf("%s[%d]", k, i)
		if t.Key != "" {
			if msgs := isQualifiedName(t.Key); msgs != "" {
				ps.Addf(tk+".key", "%q: %s", t.Key, msgs)
			}
		}
		switch t.Operator {
		case "", "Equal":
			if t.Key == "" {
				ps.Addf(tk+".key", "operator Equal needs a key")
			}
		case "Exists":
			if t.Value != "" {
				ps.Addf(tk+".value", "operator Exists takes no value")
			}
		default:
			ps.Addf(tk+".operator", "%q is not Equal or Exists", t.Operator)
		}
		if !slices.Contains([]string{"", "NoSchedule", "PreferNoSchedule", "NoExecute"}, t.Effect) {
			ps.Addf(tk+".effect", "%q is not NoSchedule, PreferNoSchedule or NoExecute", t.Effect)
		}
	}
}

func checkNodeSelector(ps *Problems, k string, sel map[string]string) {
	for _, lk := range slices.Sorted(maps.Keys(sel)) {
		if msgs := isQualifiedName(lk); msgs != "" {
			ps.Addf(k+"."+lk, "%q is not a label key: %s", lk, msgs)
		}
		if msgs := isLabelValue(sel[lk]); msgs != "" {
			ps.Addf(k+"."+lk, "%q is not a label value: %s", sel[lk], msgs)
		}
	}
}
