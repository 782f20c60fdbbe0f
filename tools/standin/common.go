package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// env returns the variable or a default.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envSeconds parses a duration in seconds, or a Spring style "30s".
func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return def
}

// mustWrite fails like the real program does when a directory it writes to
// is read-only (a read-only root without the emptyDir it needs).
func mustWrite(dir, file, content string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	return nil
}

// listen binds a TCP port on every address.
func listen(port string) (net.Listener, error) {
	return net.Listen("tcp", ":"+port)
}

// serve runs an HTTP server on l until it is shut down.
func serve(l net.Listener, h http.Handler) *http.Server {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv
}

// signals returns a channel of the termination signals.
func signals(sig ...os.Signal) chan os.Signal {
	c := make(chan os.Signal, 1)
	if len(sig) == 0 {
		sig = []os.Signal{syscall.SIGTERM, syscall.SIGINT}
	}
	signal.Notify(c, sig...)
	return c
}

// shutdown stops srv gracefully within d.
func shutdown(srv *http.Server, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return srv.Shutdown(ctx)
}

// listenAny keeps a port open that no stand-in speaks on (gRPC, Raft):
// connections are accepted and closed, so TCP probes and policies see it.
func listenAny(port string) error {
	l, err := listen(port)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return nil
}
