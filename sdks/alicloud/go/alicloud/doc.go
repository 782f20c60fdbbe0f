// A Pulumi package for creating and managing AliCloud resources. This is a generated subset of the official SDK: only the resources and functions ack-platform uses.
package alicloud
