package config

import "fmt"

// JVM is the memory layout of a Java service, derived from its container
// memory limit instead of a percentage: a percentage of a small limit
// leaves too little for what the JVM holds outside the heap, and the kernel
// OOM-kills the container. docs/workloads.md "JVM memory" shows the sums.
//
//	non-heap = metaspace + code cache + thread stacks + direct memory + native overhead
//	heap     = limit - non-heap
type JVM struct {
	LimitMi int64
	HeapMi  int64
	// DirectMi caps NIO direct buffers (Netty in Spring Cloud Gateway and
	// the Nacos gRPC client): limit/16, at least 32Mi.
	DirectMi int64
}

// Fixed non-heap parts, in MiB.
const (
	// MetaspaceMi holds the classes of a Spring Cloud app (about 100-150Mi loaded).
	MetaspaceMi = 160
	// CodeCacheMi is the JIT's compiled code.
	CodeCacheMi = 48
	// ThreadStacksMi: 200 threads (Tomcat's default maximum) × -Xss512k.
	ThreadStacksMi = 100
	// NativeOverheadMi covers GC structures, symbol tables and libc arenas.
	NativeOverheadMi = 48
	// MinHeapMi is the smallest heap a Spring Cloud service is given.
	MinHeapMi = 256
)

// JVMFor derives the layout from a memory limit such as "768Mi".
func JVMFor(limit string) JVM {
	j := JVM{LimitMi: mebibytes(limit)}
	j.DirectMi = max(j.LimitMi/16, 32)
	j.HeapMi = j.LimitMi - j.NonHeapMi()
	return j
}

// NonHeapMi is everything the JVM holds outside the heap.
func (j JVM) NonHeapMi() int64 {
	return MetaspaceMi + CodeCacheMi + ThreadStacksMi + NativeOverheadMi + j.DirectMi
}

// Options are the JAVA_TOOL_OPTIONS: every region bounded, the heap fixed
// (request equals limit, so the memory is the pod's anyway), and an
// OutOfMemoryError ends the process so Kubernetes restarts it instead of
// leaving a half-working JVM serving errors.
func (j JVM) Options() string {
	return fmt.Sprintf("-Xms%[1]dm -Xmx%[1]dm -XX:MaxMetaspaceSize=%dm -XX:ReservedCodeCacheSize=%dm -Xss512k -XX:MaxDirectMemorySize=%dm -XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp",
		j.HeapMi, MetaspaceMi, CodeCacheMi, j.DirectMi)
}
