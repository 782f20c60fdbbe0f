package faults_test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// stateBucket is the bucket the S3 backend keeps the state in.
const stateBucket = "ack-platform-state"

// startS3 starts an S3-compatible server (gofakes3, in memory) for the
// test and returns the backend URL `pulumi login` takes: the same form as
// for OSS (endpoint, region, checksum modes), with path-style addressing
// because the server answers on a loopback address, not on
// <bucket>.<endpoint> as OSS does. The parameters are those gocloud.dev's
// s3blob opener (used by Pulumi's self-managed backend) accepts.
func startS3(t *testing.T) string {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(stateBucket); err != nil {
		t.Fatalf("gofakes3: %v", err)
	}
	srv := httptest.NewServer(gofakes3.New(mem, gofakes3.WithTimeSkewLimit(0)).Server())
	t.Cleanup(srv.Close)
	q := url.Values{}
	q.Set("endpoint", srv.URL)
	q.Set("region", "cn-hangzhou")
	q.Set("s3ForcePathStyle", "true")
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + stateBucket + "?" + q.Encode()
}

// s3Env are the credentials the AWS SDK reads; gofakes3 checks none, but
// the SDK refuses to sign without them.
var s3Env = []string{
	"AWS_ACCESS_KEY_ID=faults-test-key",
	"AWS_SECRET_ACCESS_KEY=faults-test-secret",
	"AWS_EC2_METADATA_DISABLED=true",
}
