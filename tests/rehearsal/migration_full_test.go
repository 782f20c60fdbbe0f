//go:build migration

package rehearsal_test

import "testing"

// docs/migration.md run whole on the emulated cloud: the former program
// deploys its two stacks, the guide's state moves and renames split them
// into the new stacks, and the new program then finds every cloud resource
// and every Kubernetes object where it left them. The former dev's
// workloads wait for ready pods, so this one needs the node. It has not yet
// run to completion, so it is not part of `make test`:
// `make test-migration` runs it (docs/migration.md, "Proof").
func TestRehearsalMigrationRecreatesNothing(t *testing.T) {
	startCluster(t)
	rehearseMigration(t, newWorld(t, "migration"), true)
}
