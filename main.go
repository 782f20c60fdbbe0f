// Command ack-platform is the Pulumi program: `pulumi up` per stack (dev,
// prod, local). Everything it does is in stacks/ and components/.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks"
)

func main() {
	pulumi.Run(stacks.Run)
}
