package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"ack-platform/tools/standin/images"
	"ack-platform/tools/standin/kubeapi"
	"ack-platform/tools/standin/registry"
)

type systemFlag map[string]images.Role

func (s systemFlag) String() string { return fmt.Sprint(map[string]images.Role(s)) }
func (s systemFlag) Set(v string) error {
	ref, role, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want REF=ROLE, got %q", v)
	}
	n, err := registry.Normalize(ref)
	if err != nil {
		return err
	}
	s[n] = images.Role(role)
	return nil
}

func runRegistry(args []string) error {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	addr := fs.String("listen", "127.0.0.1:0", "")
	addrFile := fs.String("addr-file", "", "write host:port here once listening")
	server := fs.String("server", "", "API server URL (to find the role of an image from its pod)")
	token := fs.String("token-file", "", "")
	ca := fs.String("ca-file", "", "")
	busybox := fs.String("busybox", "/bin/busybox", "a static busybox (Debian busybox-static)")
	system := systemFlag{}
	fs.Var(system, "system", "REF=ROLE of an image the cluster itself needs (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	s := &registry.Server{Self: l.Addr().String(), System: system, Src: images.Sources{Standin: self, Busybox: *busybox}}
	if *server != "" {
		if s.API, err = kubeapi.New(*server, *token, *ca); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(s.Self+"\n"), 0o644); err != nil {
			return err
		}
	}
	log.Printf("registry on %s", s.Self)
	<-signals()
	return shutdown(srv, 5*time.Second)
}
