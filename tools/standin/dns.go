package main

// The cluster DNS: CoreDNS is not served as a Go module here, and pods
// cannot reach the local API server (it listens on loopback), so the DNS is
// split in two. On the host, `dnsfeed` reads Services and EndpointSlices
// from the API and writes "name address" lines to a file; in a pod in
// kube-system labelled k8s-app=kube-dns (the peer the program's allow-dns
// policy names), `dns` answers A queries from that file, mounted from the
// host. Records follow the Kubernetes DNS specification: <svc>.<ns>.svc.<zone>
// is the ClusterIP, or every ready endpoint for a headless service, and
// <hostname>.<svc>.<ns>.svc.<zone> an endpoint with a hostname.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"ack-platform/tools/standin/kubeapi"
)

func runDNS(args []string) error {
	fs := flag.NewFlagSet("dns", flag.ContinueOnError)
	records := fs.String("records", "/records/hosts", "the file dnsfeed writes")
	addr := fs.String("listen", ":53", "")
	health := fs.String("health", ":8080", "readiness: /ready once the records are loaded")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var mu sync.RWMutex
	table := map[string][]net.IP{}
	var loaded bool
	var mtime time.Time
	load := func() {
		fi, err := os.Stat(*records)
		if err != nil || fi.ModTime().Equal(mtime) {
			return
		}
		f, err := os.Open(*records)
		if err != nil {
			return
		}
		defer f.Close()
		t := map[string][]net.IP{}
		s := bufio.NewScanner(f)
		for s.Scan() {
			fields := strings.Fields(s.Text())
			if len(fields) == 2 {
				if ip := net.ParseIP(fields[1]); ip != nil {
					name := dns.Fqdn(strings.ToLower(fields[0]))
					t[name] = append(t[name], ip)
				}
			}
		}
		mu.Lock()
		table, mtime, loaded = t, fi.ModTime(), true
		mu.Unlock()
	}
	load()
	go func() {
		for range time.Tick(500 * time.Millisecond) {
			load()
		}
	}()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		for _, q := range r.Question {
			mu.RLock()
			ips, ok := table[strings.ToLower(q.Name)]
			mu.RUnlock()
			if !ok {
				m.Rcode = dns.RcodeNameError
				continue
			}
			if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
				for _, ip := range ips {
					if v4 := ip.To4(); v4 != nil {
						m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: v4})
					}
				}
			}
		}
		_ = w.WriteMsg(m)
	})
	errs := make(chan error, 2)
	for _, network := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: *addr, Net: network, Handler: handler}
		go func() { errs <- srv.ListenAndServe() }()
	}
	l, err := net.Listen("tcp", *health)
	if err != nil {
		return err
	}
	serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		ok := loaded
		mu.RUnlock()
		if !ok {
			http.Error(w, "no records yet", 503)
			return
		}
		_, _ = w.Write([]byte("OK"))
	}))
	log.Printf("serving DNS on %s from %s", *addr, *records)
	select {
	case err := <-errs:
		return err
	case <-signals():
		return nil
	}
}

func runDNSFeed(args []string) error {
	fs := flag.NewFlagSet("dnsfeed", flag.ContinueOnError)
	api := apiFlags(fs)
	out := fs.String("out", "", "records file")
	zone := fs.String("zone", "cluster.local", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	client, err := api.client()
	if err != nil {
		return err
	}
	last := ""
	return everySecond(func() error {
		text, err := dnsRecords(context.Background(), client, *zone)
		if err != nil {
			log.Print(err)
			return nil
		}
		if text == last {
			return nil
		}
		tmp := *out + ".tmp"
		if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, *out); err != nil {
			return err
		}
		last = text
		return nil
	})
}

// apiFlagSet holds the flags of a host-side feed that reads the API server.
type apiFlagSet struct{ server, token, ca *string }

func apiFlags(fs *flag.FlagSet) apiFlagSet {
	return apiFlagSet{
		server: fs.String("server", "", "API server URL"),
		token:  fs.String("token-file", "", ""),
		ca:     fs.String("ca-file", "", ""),
	}
}

func (a apiFlagSet) client() (*kubeapi.Client, error) { return kubeapi.New(*a.server, *a.token, *a.ca) }

// everySecond runs step now and then every second until a stop signal or
// an error step returns.
func everySecond(step func() error) error {
	stop := signals()
	for {
		if err := step(); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-time.After(time.Second):
		}
	}
}

func dnsRecords(ctx context.Context, api *kubeapi.Client, zone string) (string, error) {
	svcs, err := api.Services(ctx)
	if err != nil {
		return "", err
	}
	slices, err := api.EndpointSlices(ctx)
	if err != nil {
		return "", err
	}
	headless := map[string]bool{}
	var lines []string
	for _, s := range svcs {
		name := fmt.Sprintf("%s.%s.svc.%s", s.Metadata.Name, s.Metadata.Namespace, zone)
		switch s.Spec.ClusterIP {
		case "None":
			headless[s.Metadata.Namespace+"/"+s.Metadata.Name] = true
		case "":
		default:
			lines = append(lines, name+" "+s.Spec.ClusterIP)
		}
	}
	for _, es := range slices {
		svc := es.Metadata.Labels["kubernetes.io/service-name"]
		if es.AddressType != "IPv4" || svc == "" {
			continue
		}
		base := fmt.Sprintf("%s.%s.svc.%s", svc, es.Metadata.Namespace, zone)
		for _, ep := range es.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready || len(ep.Addresses) == 0 {
				continue
			}
			if headless[es.Metadata.Namespace+"/"+svc] {
				lines = append(lines, base+" "+ep.Addresses[0])
			}
			if ep.Hostname != "" {
				lines = append(lines, ep.Hostname+"."+base+" "+ep.Addresses[0])
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n", nil
}
