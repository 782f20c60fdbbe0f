package main

// The Nacos stand-in: the naming part of Nacos' open API (v1) that the
// stand-ins use, with Nacos' rules for ephemeral instances: an instance
// without a heartbeat for 15 s turns unhealthy, and is removed after 30 s
// (preserved.heart.beat.timeout, ip.delete.timeout). The health endpoints
// are the ones the program probes. The gRPC and Raft ports are held open
// but speak nothing. It writes where the real server writes (logs, data,
// status under /home/nacos), so a read-only root without those volumes
// fails the start; in cluster mode it writes conf/cluster.conf from
// NACOS_SERVERS as the image's start script does. One member only holds its
// own registrations: there is no replication between members.

import (
	"log"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type nacosInstance struct {
	IP       string  `json:"ip"`
	Port     int     `json:"port"`
	Healthy  bool    `json:"healthy"`
	Enabled  bool    `json:"enabled"`
	Weight   float64 `json:"weight"`
	lastBeat time.Time
}

type nacosRegistry struct {
	mu       sync.Mutex
	services map[string]map[string]*nacosInstance
}

func (g *nacosRegistry) expire(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for svc, insts := range g.services {
		for k, i := range insts {
			age := now.Sub(i.lastBeat)
			i.Healthy = age < 15*time.Second
			if age >= 30*time.Second {
				delete(insts, k)
				log.Printf("%s %s: no heartbeat for 30 s, removed", svc, k)
			}
		}
	}
}

func runNacos() error {
	home := "/home/nacos"
	for _, d := range []string{"logs", "data", "status"} {
		if err := mustWrite(home+"/"+d, "standin", "nacos stand-in\n"); err != nil {
			return err
		}
	}
	if env("MODE", "cluster") == "cluster" {
		members := strings.Join(strings.Fields(os.Getenv("NACOS_SERVERS")), "\n") + "\n"
		if err := mustWrite(home+"/conf", "cluster.conf", members); err != nil {
			return err
		}
	}
	port := env("NACOS_SERVER_PORT", "8848")
	time.Sleep(envDuration("STANDIN_START_SECONDS", 3*time.Second))
	for _, p := range []string{"9848", "9849", "7848"} {
		if err := listenAny(p); err != nil {
			return err
		}
	}
	reg := &nacosRegistry{services: map[string]map[string]*nacosInstance{}}
	go func() {
		for now := range time.Tick(time.Second) {
			reg.expire(now)
		}
	}()
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("OK")) }
	mux.HandleFunc("/nacos/v1/console/health/liveness", ok)
	mux.HandleFunc("/nacos/v1/console/health/readiness", ok)
	mux.HandleFunc("/nacos/v1/ns/instance", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		svc, ip := q.Get("serviceName"), q.Get("ip")
		port, err := strconv.Atoi(q.Get("port"))
		if svc == "" || ip == "" || err != nil {
			http.Error(w, "caused: serviceName, ip and port are required", http.StatusBadRequest)
			return
		}
		key := ip + ":" + strconv.Itoa(port)
		reg.mu.Lock()
		defer reg.mu.Unlock()
		switch r.Method {
		case http.MethodPost, http.MethodPut:
			if reg.services[svc] == nil {
				reg.services[svc] = map[string]*nacosInstance{}
			}
			reg.services[svc][key] = &nacosInstance{IP: ip, Port: port, Healthy: true, Enabled: true, Weight: 1, lastBeat: time.Now()}
			log.Printf("registered %s %s", svc, key)
		case http.MethodDelete:
			delete(reg.services[svc], key)
			log.Printf("deregistered %s %s", svc, key)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("/nacos/v1/ns/instance/beat", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		key := q.Get("ip") + ":" + q.Get("port")
		reg.mu.Lock()
		i := reg.services[q.Get("serviceName")][key]
		if i != nil {
			i.lastBeat, i.Healthy = time.Now(), true
		}
		reg.mu.Unlock()
		if i == nil {
			// Nacos answers 20404: the client registers again.
			writeJSON(w, 200, map[string]any{"code": 20404, "clientBeatInterval": 5000})
			return
		}
		writeJSON(w, 200, map[string]any{"code": 10200, "clientBeatInterval": 5000})
	})
	mux.HandleFunc("/nacos/v1/ns/instance/list", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		healthyOnly := q.Get("healthyOnly") == "true"
		reg.mu.Lock()
		hosts := []nacosInstance{}
		for _, i := range reg.services[q.Get("serviceName")] {
			if !healthyOnly || i.Healthy {
				hosts = append(hosts, *i)
			}
		}
		reg.mu.Unlock()
		sort.Slice(hosts, func(a, b int) bool { return hosts[a].IP < hosts[b].IP })
		writeJSON(w, 200, map[string]any{"name": q.Get("serviceName"), "hosts": hosts, "cacheMillis": 10000})
	})
	l, err := listen(port)
	if err != nil {
		return err
	}
	srv := serve(l, mux)
	log.Printf("Nacos stand-in started on %s (mode %s)", port, env("MODE", "cluster"))
	<-signals()
	return shutdown(srv, 10*time.Second)
}
