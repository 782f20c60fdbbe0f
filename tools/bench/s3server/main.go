// Command s3server serves an S3-compatible API in memory (gofakes3) on a
// loopback port, with one bucket, for benchmarks of Pulumi's self-managed
// backend on the same code path as Alibaba Cloud OSS (`s3://` URLs read by
// gocloud.dev's s3blob). It prints the endpoint (http://127.0.0.1:PORT) on
// its first line of standard output and serves until it is stopped (TERM,
// INT) or until process -owner is gone.
//
//	go run ./tools/bench/s3server -bucket state [-owner PID]
//
// gofakes3 (MIT) and not MinIO: MinIO's server is AGPL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "s3server:", err)
		os.Exit(1)
	}
}

func run() error {
	bucket := flag.String("bucket", "state", "bucket to create")
	owner := flag.Int("owner", 0, "stop when this process is gone (0: never)")
	flag.Parse()

	mem := s3mem.New()
	if err := mem.CreateBucket(*bucket); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// No clock-skew check: the server and its clients share one clock.
	srv := &http.Server{Handler: gofakes3.New(mem, gofakes3.WithTimeSkewLimit(0)).Server(), ReadHeaderTimeout: time.Minute}
	fmt.Printf("http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *owner > 0 {
		go func() {
			for syscall.Kill(*owner, 0) == nil {
				time.Sleep(time.Second)
			}
			stop()
		}()
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
