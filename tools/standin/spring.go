package main

// The Spring Boot stand-in. What it models, from Spring Boot's and Spring
// Cloud's reference documentation (docs/e2e.md lists the pages):
//   - server.port from SERVER_PORT; actuator on the same port unless
//     MANAGEMENT_SERVER_PORT; /actuator/health/liveness and /readiness exist
//     when management.endpoint.health.probes.enabled or on Kubernetes;
//   - the port opens only once the context has started (a slow start);
//     Tomcat's work directory is in java.io.tmpdir (/tmp), so a read-only
//     root without a writable /tmp fails the start;
//   - after the web server starts, Spring Cloud Alibaba registers the
//     instance in Nacos (spring.application.name, the discovery IP,
//     server.port) and sends heartbeats;
//   - SIGTERM with server.shutdown=graceful: readiness turns
//     REFUSING_TRAFFIC, the server stops accepting connections and finishes
//     the requests in flight within spring.lifecycle.timeout-per-shutdown-
//     phase, then the context's beans are destroyed, which deregisters the
//     instance from Nacos;
//   - preStop contracts: POST {"status":"DOWN"} to /actuator/serviceregistry
//     (Spring Cloud Commons' service-registry endpoint) deregisters; GET
//     /actuator/nacos-deregister?waitSeconds=N (the program's http
//     deregistration contract) deregisters, keeps serving N seconds, then
//     answers 200, or 500 when deregistration failed.
// The gateway adds Spring Cloud Gateway's discovery locator (/<service>/**
// to lb://<service> with the prefix stripped) through Spring Cloud
// LoadBalancer, whose instance list is cached for 35 s by default.

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func runSpring(gateway bool) error {
	app := env("SPRING_APPLICATION_NAME", "application")
	port := env("SERVER_PORT", "8080")
	mgmt := env("MANAGEMENT_SERVER_PORT", port)
	version := env("STANDIN_VERSION", "unknown")
	pod, _ := os.Hostname()
	start := envDuration("STANDIN_START_SECONDS", 8*time.Second)
	grace := envDuration("SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE", 30*time.Second)
	graceful := env("SERVER_SHUTDOWN", "graceful") == "graceful"
	probes := os.Getenv("MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED") == "true" || os.Getenv("KUBERNETES_SERVICE_HOST") != ""

	log.Printf("starting %s %s (pod %s)", app, version, pod)
	if err := mustWrite(env("TMPDIR", "/tmp")+"/tomcat."+port, "work", "tomcat work directory\n"); err != nil {
		return fmt.Errorf("unable to create tempDir: %w", err)
	}
	term := signals()
	select { // the context starting: nothing listens yet
	case <-time.After(start):
	case <-term:
		log.Print("stopped while starting")
		return nil
	}

	var ready atomic.Bool
	ready.Store(true)
	inst := instance{service: app, ip: env("SPRING_CLOUD_NACOS_DISCOVERY_IP", os.Getenv("POD_IP")), port: port}
	stopBeat := make(chan struct{})
	var stopOnce sync.Once
	leave := func() { stopOnce.Do(func() { close(stopBeat) }) }
	var lb *loadBalancer
	nacosAddr := os.Getenv("SPRING_CLOUD_NACOS_DISCOVERY_SERVER_ADDR")
	if gateway {
		lb = &loadBalancer{nacos: nacosAddr, ttl: envDuration("SPRING_CLOUD_LOADBALANCER_CACHE_TTL", 35*time.Second), cache: map[string]*cached{}}
	}
	health := func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.URL.Path == "/actuator/health/liveness" && probes:
			writeJSON(w, 200, map[string]string{"status": "UP"})
		case r.URL.Path == "/actuator/health/readiness" && probes:
			if ready.Load() {
				writeJSON(w, 200, map[string]string{"status": "UP"})
			} else {
				writeJSON(w, 503, map[string]string{"status": "OUT_OF_SERVICE"})
			}
		case r.URL.Path == "/actuator/health":
			writeJSON(w, 200, map[string]string{"status": "UP"})
		case r.URL.Path == "/actuator/serviceregistry" && r.Method == http.MethodPost:
			// Spring Cloud Commons' service-registry endpoint: status DOWN
			// takes the instance out of the registry.
			var body struct{ Status string }
			_ = json.NewDecoder(r.Body).Decode(&body)
			if strings.EqualFold(body.Status, "DOWN") {
				leave()
				if err := inst.deregisterNow(nacosAddr); err != nil {
					http.Error(w, err.Error(), 500)
					return true
				}
			}
			w.WriteHeader(200)
		case r.URL.Path == "/actuator/nacos-deregister":
			// The program's http deregistration contract (docs/workloads.md):
			// leave Nacos, keep serving for waitSeconds, then answer 2xx, or
			// an error status when deregistration failed.
			leave()
			err := inst.deregisterNow(nacosAddr)
			wait, _ := time.ParseDuration(r.URL.Query().Get("waitSeconds") + "s")
			log.Printf("preStop: deregistered (%v), serving %s more", err, wait)
			time.Sleep(wait)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return true
			}
			w.WriteHeader(200)
		default:
			return false
		}
		return true
	}
	app404 := func(w http.ResponseWriter, r *http.Request) {
		if lb != nil {
			lb.route(w, r)
			return
		}
		time.Sleep(10 * time.Millisecond) // a little work per request
		writeJSON(w, 200, map[string]string{"service": app, "version": version, "pod": pod, "path": r.URL.Path})
	}
	l, err := listen(port)
	if err != nil {
		return err
	}
	main := serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mgmt == port && health(w, r) {
			return
		}
		app404(w, r)
	}))
	var mgmtSrv *http.Server
	if mgmt != port {
		ml, err := listen(mgmt)
		if err != nil {
			return err
		}
		mgmtSrv = serve(ml, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !health(w, r) {
				http.NotFound(w, r)
			}
		}))
	}
	log.Printf("started on port %s in %s", port, start)

	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		inst.register(nacosAddr, stopBeat)
	}()

	<-term
	log.Print("SIGTERM: readiness REFUSING_TRAFFIC, graceful shutdown")
	ready.Store(false)
	began := time.Now()
	if graceful {
		if err := shutdown(main, grace); err != nil {
			log.Printf("graceful shutdown aborted after %s: %v", grace, err)
		}
	} else {
		_ = main.Close()
	}
	if mgmtSrv != nil {
		_ = mgmtSrv.Close()
	}
	leave()
	<-beatDone
	inst.deregister(nacosAddr)
	log.Printf("stopped in %s", time.Since(began).Round(time.Millisecond))
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// instance is this pod's entry in Nacos.
type instance struct{ service, ip, port string }

func (i instance) query() string {
	return fmt.Sprintf("serviceName=%s&ip=%s&port=%s&ephemeral=true", i.service, i.ip, i.port)
}

var nacosHTTP = &http.Client{Timeout: 3 * time.Second}

func nacosCall(method, addr, path string) error {
	req, err := http.NewRequest(method, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := nacosHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return nil
}

// register registers the instance, then beats every 5 s until stop.
// Registration is retried: the Nacos client keeps trying in the background.
func (i instance) register(addr string, stop chan struct{}) {
	if addr == "" || i.ip == "" {
		log.Print("no Nacos address or discovery IP: not registering")
		return
	}
	registered := false
	for {
		var err error
		if !registered {
			if err = nacosCall(http.MethodPost, addr, "/nacos/v1/ns/instance?"+i.query()); err == nil {
				registered = true
				log.Printf("registered %s %s:%s in Nacos at %s", i.service, i.ip, i.port, addr)
			}
		} else {
			err = nacosCall(http.MethodPut, addr, "/nacos/v1/ns/instance/beat?"+i.query())
		}
		if err != nil {
			log.Printf("nacos: %v", err)
		}
		select {
		case <-stop:
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// deregisterNow removes the instance from Nacos (a preStop hook).
func (i instance) deregisterNow(addr string) error {
	if addr == "" || i.ip == "" {
		return fmt.Errorf("no Nacos address or discovery IP")
	}
	return nacosCall(http.MethodDelete, addr, "/nacos/v1/ns/instance?"+i.query())
}

func (i instance) deregister(addr string) {
	if addr == "" || i.ip == "" {
		return
	}
	if err := nacosCall(http.MethodDelete, addr, "/nacos/v1/ns/instance?"+i.query()); err != nil {
		log.Printf("nacos deregistration: %v", err)
	} else {
		log.Print("deregistered from Nacos")
	}
}

// loadBalancer is Spring Cloud LoadBalancer over the Nacos discovery client:
// a round-robin over a per-service instance list cached for ttl.
type loadBalancer struct {
	nacos string
	ttl   time.Duration
	mu    sync.Mutex
	cache map[string]*cached
	next  atomic.Uint64
}

type cached struct {
	at    time.Time
	hosts []string
}

func (lb *loadBalancer) instances(service string) ([]string, error) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	if c, ok := lb.cache[service]; ok && time.Since(c.at) < lb.ttl {
		return c.hosts, nil
	}
	resp, err := nacosHTTP.Get("http://" + lb.nacos + "/nacos/v1/ns/instance/list?healthyOnly=true&serviceName=" + service)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list struct {
		Hosts []struct {
			IP      string `json:"ip"`
			Port    int    `json:"port"`
			Healthy bool   `json:"healthy"`
			Enabled bool   `json:"enabled"`
		} `json:"hosts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		return nil, err
	}
	var hosts []string
	for _, h := range list.Hosts {
		if h.Healthy && h.Enabled {
			hosts = append(hosts, fmt.Sprintf("%s:%d", h.IP, h.Port))
		}
	}
	lb.cache[service] = &cached{at: time.Now(), hosts: hosts}
	return hosts, nil
}

var upstream = &http.Client{Timeout: 10 * time.Second}

// route forwards /<service>/rest to an instance of service as /rest.
func (lb *loadBalancer) route(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	service := parts[0]
	rest := "/"
	if len(parts) == 2 {
		rest += parts[1]
	}
	if service == "" {
		http.NotFound(w, r)
		return
	}
	hosts, err := lb.instances(service)
	if err != nil || len(hosts) == 0 {
		http.Error(w, fmt.Sprintf("503 Service Unavailable: no instance of %s (%v)", service, err), http.StatusServiceUnavailable)
		return
	}
	host := hosts[int(lb.next.Add(1))%len(hosts)]
	resp, err := upstream.Get("http://" + host + rest)
	if err != nil {
		http.Error(w, fmt.Sprintf("500 Internal Server Error: %v", err), http.StatusInternalServerError)
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
