package main

// The tests' client, run in a pod: the test drives it over HTTP from the
// host (pod IPs are routable from the node), or, with -call URL, it makes
// one request and prints the result (an ephemeral container in a pod of the
// program, to test that pod's NetworkPolicy; read with kubectl logs).
//   GET /call?url=U           one request from inside the pod: {"status":200,...} or {"error":...}
//   GET /load/start?url=U&interval=50ms   requests U in a loop until /load/stop
//   GET /load/stats           {"ok":N,"failed":M,"errors":[...],"versions":{...}}
//   GET /load/stop            stops the loop and returns the final stats

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

type loadStats struct {
	OK       int            `json:"ok"`
	Failed   int            `json:"failed"`
	Errors   []string       `json:"errors"`
	Versions map[string]int `json:"versions"`
}

func runClient(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	addr := fs.String("listen", ":8080", "")
	once := fs.String("call", "", "one GET of this URL: print the result as JSON and exit (for an ephemeral container, read with kubectl logs)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	if *once != "" {
		res := map[string]any{"url": *once}
		resp, err := hc.Get(*once)
		if err != nil {
			res["error"] = err.Error()
		} else {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			res["status"], res["body"] = resp.StatusCode, string(b)
		}
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	call := func(url string) (int, []byte, error) {
		resp, err := hc.Get(url)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, b, err
	}
	var mu sync.Mutex
	stats := loadStats{Versions: map[string]int{}}
	var stop chan struct{}
	var done chan struct{}
	mux := http.NewServeMux()
	mux.HandleFunc("/call", func(w http.ResponseWriter, r *http.Request) {
		code, body, err := call(r.URL.Query().Get("url"))
		res := map[string]any{"status": code, "body": string(body)}
		if err != nil {
			res["error"] = err.Error()
		}
		writeJSON(w, 200, res)
	})
	mux.HandleFunc("/load/start", func(w http.ResponseWriter, r *http.Request) {
		url := r.URL.Query().Get("url")
		interval, err := time.ParseDuration(r.URL.Query().Get("interval"))
		if err != nil {
			interval = 50 * time.Millisecond
		}
		mu.Lock()
		defer mu.Unlock()
		if stop != nil {
			http.Error(w, "already running", 409)
			return
		}
		stats = loadStats{Versions: map[string]int{}}
		stop, done = make(chan struct{}), make(chan struct{})
		go func(stop, done chan struct{}) {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				case <-time.After(interval):
				}
				code, body, err := call(url)
				var v struct{ Version string }
				mu.Lock()
				switch {
				case err != nil:
					stats.Failed++
					stats.Errors = appendCapped(stats.Errors, time.Now().Format("15:04:05.000")+" "+err.Error())
				case code != 200:
					stats.Failed++
					stats.Errors = appendCapped(stats.Errors, fmt.Sprintf("%s %d %s", time.Now().Format("15:04:05.000"), code, body))
				default:
					stats.OK++
					if json.Unmarshal(body, &v) == nil {
						stats.Versions[v.Version]++
					}
				}
				mu.Unlock()
			}
		}(stop, done)
		writeJSON(w, 200, map[string]string{"started": url})
	})
	mux.HandleFunc("/load/stats", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, 200, stats)
	})
	mux.HandleFunc("/load/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s, d := stop, done
		stop = nil
		mu.Unlock()
		if s != nil {
			close(s)
			<-d
		}
		mu.Lock()
		defer mu.Unlock()
		writeJSON(w, 200, stats)
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("OK")) })
	l, err := listen(trimColon(*addr))
	if err != nil {
		return err
	}
	srv := serve(l, mux)
	log.Printf("client listening on %s", *addr)
	<-signals()
	return shutdown(srv, 5*time.Second)
}

func trimColon(a string) string {
	if len(a) > 0 && a[0] == ':' {
		return a[1:]
	}
	return a
}

func appendCapped(l []string, s string) []string {
	if len(l) < 50 {
		return append(l, s)
	}
	return l
}
