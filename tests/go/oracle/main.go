// heapdump-oracle: the independent oracle of the Go integration tests.
//
// It reads a runtime/debug.WriteHeapDump file written by a sample at its stop point and prints
// the canonical listing of the heap that heapwalk's snapshot of the same process must equal
// (tests/go/snapshot-listing.c prints the same listing from a snapshot), plus a JSON summary:
// counts, the MemStats the dump was written with, roots, goroutines with creation sites,
// and optionally the retained size of a named global.
//
// Listing lines (sorted; fixed-width hex so text order is address order):
//
//	obj ADDR SIZE            an allocated object (ADDR after any malloc header; SIZE without it)
//	edge FROM OFFSET TO      a pointer word at FROM+OFFSET whose target object's base is TO
//	root global ADDR TO      a data/bss pointer word at ADDR whose target object is TO
//
// With -check it also fails (exit 1) unless the objects agree with the MemStats of the dump:
// count == HeapObjects and bytes (slots) == HeapAlloc, and no pointer word hits a malloc header.
//
// With -volatile FILE it also lists the words of the runtime's scheduler and timer structures
// that the runtime rewrites after the dump (volatile.go), for the harness to exempt.
//
// Usage: heapdump-oracle [-exe EXE] [-listing FILE] [-retained SYMBOL] [-volatile FILE] [-check] DUMP
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
)

type goroutineSummary struct {
	ID          uint64 `json:"id"`
	Status      uint64 `json:"status"`
	System      bool   `json:"system"`
	WaitReason  string `json:"wait_reason"`
	CreatorFunc string `json:"creator_func,omitempty"`
	CreatorSite string `json:"creator_site,omitempty"`
	Frames      int    `json:"frames"`
}

type summary struct {
	GoVersion           string             `json:"go_version"`
	GreenTea            bool               `json:"green_tea"`
	Records             int                `json:"records"`
	BogusRecords        int                `json:"bogus_records"`
	BogusBytes          uint64             `json:"bogus_bytes"`
	EmptyScanSpans      int                `json:"empty_scan_spans"`
	Objects             int                `json:"objects"`
	ObjectBytes         uint64             `json:"object_bytes"`
	SlotBytes           uint64             `json:"slot_bytes"`
	HeaderObjects       int                `json:"header_objects"`
	Edges               int                `json:"edges"`
	UnresolvedHeapWords int                `json:"unresolved_heap_words"`
	HeaderWords         int                `json:"header_words"`
	UnresolvedExamples  []string           `json:"unresolved_examples,omitempty"`
	Roots               map[string]int     `json:"roots"`
	Unreachable         int                `json:"unreachable_objects"`
	UnreachableBytes    uint64             `json:"unreachable_bytes"`
	MemStats            MemStats           `json:"memstats"`
	Goroutines          []goroutineSummary `json:"goroutines"`
	Finalizers          int                `json:"finalizers"`
	Threads             int                `json:"threads"`
	Retained            *retainedSummary   `json:"retained,omitempty"`
}

type retainedSummary struct {
	Symbol string `json:"symbol"`
	Target string `json:"target"`
	Retained
}

func main() {
	exePath := flag.String("exe", "", "the sample's executable (for creation sites and -retained)")
	listing := flag.String("listing", "", "write the canonical listing to this file")
	retained := flag.String("retained", "", "report the retained size of the object this global points to")
	check := flag.Bool("check", false, "fail unless the objects agree exactly with the dump's MemStats")
	volatile := flag.String("volatile", "", "write the scheduler and timer words the runtime rewrites after the dump (volatile.go) to this file; needs -exe")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: heapdump-oracle [-exe EXE] [-listing FILE] [-retained SYMBOL] [-volatile FILE] [-check] DUMP")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *exePath, *listing, *retained, *volatile, *check); err != nil {
		fmt.Fprintln(os.Stderr, "heapdump-oracle:", err)
		os.Exit(1)
	}
}

func run(dumpPath, exePath, listingPath, retainedSym, volatilePath string, check bool) error {
	f, err := os.Open(dumpPath)
	if err != nil {
		return err
	}
	d, err := ReadDump(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", dumpPath, err)
	}
	objs, st, err := HeapObjects(d)
	if err != nil {
		return fmt.Errorf("%s: %w", dumpPath, err)
	}
	g := BuildGraph(d, objs)
	var exe *Exe
	if exePath != "" {
		if exe, err = OpenExe(exePath); err != nil {
			return err
		}
		if err = exe.Relocate(d); err != nil {
			return fmt.Errorf("%s: %w", exePath, err)
		}
	}
	gt, _ := greenTea(d.GoVersion)
	s := summary{GoVersion: d.GoVersion, GreenTea: gt, Records: st.Records, BogusRecords: st.Bogus,
		BogusBytes: st.BogusBytes, EmptyScanSpans: st.EmptyScanSpan, Objects: len(objs), Edges: len(g.Edges),
		UnresolvedHeapWords: g.UnresolvedHeapWords, HeaderWords: g.HeaderWords, UnresolvedExamples: g.UnresolvedExamples, Roots: map[string]int{},
		MemStats: *d.MemStats, Finalizers: len(d.Finalizers), Threads: d.Threads}
	for _, o := range objs {
		s.ObjectBytes += o.Size
		s.SlotBytes += o.Size + hdr(o)
		if o.Header {
			s.HeaderObjects++
		}
	}
	for _, r := range g.Roots {
		s.Roots[r.Kind]++
	}
	all := g.reach(-1)
	for i, o := range objs {
		if !all[i] {
			s.Unreachable++
			s.UnreachableBytes += o.Size + hdr(o)
		}
	}
	for _, gr := range d.Goroutines {
		gs := goroutineSummary{ID: gr.ID, Status: gr.Status, System: gr.System, WaitReason: gr.WaitReason, Frames: len(gr.Frames)}
		if exe != nil {
			fn, file, line := exe.CreationSite(gr.GoPC)
			if file != "" {
				gs.CreatorFunc, gs.CreatorSite = fn, fmt.Sprintf("%s:%d", file, line)
			}
		}
		s.Goroutines = append(s.Goroutines, gs)
	}
	if retainedSym != "" {
		if exe == nil {
			return fmt.Errorf("-retained needs -exe")
		}
		rs, err := retainedOf(g, exe, all, retainedSym)
		if err != nil {
			return err
		}
		s.Retained = rs
	}
	if listingPath != "" {
		if err := writeListing(listingPath, g); err != nil {
			return err
		}
	}
	if volatilePath != "" {
		if exe == nil {
			return fmt.Errorf("-volatile needs -exe")
		}
		words, err := VolatileWords(d, g, exe, exePath)
		if err != nil {
			return err
		}
		if err := writeVolatile(volatilePath, g, words); err != nil {
			return err
		}
	}
	out, _ := json.Marshal(s)
	fmt.Println(string(out))
	if check {
		return checkMemStats(&s)
	}
	return nil
}

// retainedOf finds the object the global `sym` points to (its first pointer word that resolves)
// and measures what it retains.
func retainedOf(g *Graph, exe *Exe, all []bool, sym string) (*retainedSummary, error) {
	addr, size, err := exe.Symbol(sym)
	if err != nil {
		return nil, err
	}
	for _, r := range g.Roots {
		if r.Kind == "global" && r.Addr >= addr && r.Addr < addr+max(size, 8) {
			return &retainedSummary{Symbol: sym, Target: fmt.Sprintf("%#x", g.Objects[r.To].Addr), Retained: g.retained(all, r.To)}, nil
		}
	}
	return nil, fmt.Errorf("global %s at %#x holds no pointer into the heap", sym, addr)
}

func checkMemStats(s *summary) error {
	var errs []string
	if uint64(s.Objects) != s.MemStats.HeapObjects {
		errs = append(errs, fmt.Sprintf("%d objects but MemStats.HeapObjects is %d (difference %d)",
			s.Objects, s.MemStats.HeapObjects, int64(s.Objects)-int64(s.MemStats.HeapObjects)))
	}
	if s.SlotBytes != s.MemStats.HeapAlloc {
		errs = append(errs, fmt.Sprintf("%d slot bytes but MemStats.HeapAlloc is %d (difference %d)",
			s.SlotBytes, s.MemStats.HeapAlloc, int64(s.SlotBytes)-int64(s.MemStats.HeapAlloc)))
	}
	// Words into the arena range at no object are not errors: stacks live in the arenas too
	// (a frame's pointer to its own locals, a sudog's elem). A word into a malloc header is.
	if s.HeaderWords != 0 {
		errs = append(errs, fmt.Sprintf("%d pointer words point into malloc headers", s.HeaderWords))
	}
	if errs != nil {
		return fmt.Errorf("check failed: %v", errs)
	}
	return nil
}

func writeListing(path string, g *Graph) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	objs := g.Objects
	for _, o := range objs {
		fmt.Fprintf(w, "obj %016x %d\n", o.Addr, o.Size)
	}
	// Edges are already grouped by source in address order and by offset within a source;
	// ties (two words of one object at the same offset) cannot happen.
	for _, e := range g.Edges {
		fmt.Fprintf(w, "edge %016x %d %016x\n", objs[e.From].Addr, e.Offset, objs[e.To].Addr)
	}
	roots := make([]string, 0, len(g.Roots))
	for _, r := range g.Roots {
		if r.Kind == "global" {
			roots = append(roots, fmt.Sprintf("root global %016x %016x\n", r.Addr, objs[r.To].Addr))
		}
	}
	sort.Strings(roots)
	for _, r := range roots {
		w.WriteString(r)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
