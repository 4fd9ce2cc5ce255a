// volatile.go - the pointer words of the runtime's own scheduler and timer structures that
// the runtime rewrites after WriteHeapDump returns, named, for the harness to exempt.
//
// A sample allocates nothing after its stop point, but its threads keep scheduling: the
// dumping goroutine leaves its M (ReadMemStats stops the world again, then it parks in
// read(2), possibly on another thread), Ms go idle and take allp snapshots, Ps are acquired
// by other Ms, and the background scavenger arms or fires its sleep timer. Those writes
// change pointer words of existing objects between the heap dump and any later capture, so
// the listings can differ there without either tool being wrong. This file lists exactly
// those words, found from the dump's own records (goroutine and OS-thread records give the
// g and m addresses; runtime.allp, read from the dumped data/bss, gives the Ps;
// runtime.scavenger.timer and each P's timer heap give the timers) and the field offsets
// from the executable's DWARF:
//
//	runtime.g.m            set by execute(), cleared by dropg(): which M runs the goroutine
//	runtime.m.curg         the other half of the same link
//	runtime.m.allpSnapshot set by findRunnable() when an M drops its P, cleared on reacquire
//	runtime.p.oldm         set by acquirep(): the weak handle (m.self) of the P's last M
//	runtime.p.timers.heap  the entries of each P's timer heap array (timerWhen.timer words)
//	runtime.timer.ts       the back pointer of a timer in a P's heap (nil once it fires)
//
// Each is written as a listing key: "edge FROM OFFSET FIELD" for a word inside a heap object
// (FROM and OFFSET as in the listing) or "root ADDR FIELD" for a word of a global (m0).
package main

import (
	"bufio"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
)

// structFields maps "struct.field.subfield" paths to byte offsets, from DWARF.
type structFields struct {
	types map[string]*dwarf.StructType
}

func loadStructs(exePath string, names ...string) (*structFields, error) {
	f, err := elf.Open(exePath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("%s: DWARF: %w", exePath, err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	sf := &structFields{types: map[string]*dwarf.StructType{}}
	r := d.Reader()
	for len(want) > 0 {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: DWARF: %w", exePath, err)
		}
		if e == nil {
			break
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if !want[name] {
			r.SkipChildren()
			continue
		}
		t, err := d.Type(e.Offset)
		if err != nil {
			return nil, fmt.Errorf("%s: DWARF type %s: %w", exePath, name, err)
		}
		sf.types[name] = t.(*dwarf.StructType)
		delete(want, name)
		r.SkipChildren()
	}
	for n := range want {
		return nil, fmt.Errorf("%s: no DWARF struct %s", exePath, n)
	}
	return sf, nil
}

// offset resolves "runtime.p" + "timers.heap" to the byte offset of that (nested) field.
func (sf *structFields) offset(typ, path string) (uint64, error) {
	st := sf.types[typ]
	parts := strings.Split(path, ".")
	var off uint64
	for i, name := range parts {
		var found *dwarf.StructField
		for _, fl := range st.Field {
			if fl.Name == name {
				found = fl
			}
		}
		if found == nil {
			return 0, fmt.Errorf("DWARF struct %s has no field %s", typ, path)
		}
		off += uint64(found.ByteOffset)
		if i+1 < len(parts) {
			t := found.Type
			for td, ok := t.(*dwarf.TypedefType); ok; td, ok = t.(*dwarf.TypedefType) {
				t = td.Type
			}
			if st, _ = t.(*dwarf.StructType); st == nil {
				return 0, fmt.Errorf("DWARF %s.%s: %s is not a struct", typ, path, name)
			}
		}
	}
	return off, nil
}

// volatileWord is one exempted word.
type volatileWord struct {
	Addr  uint64 // the word's address
	Field string
}

// memory reads words of the dumped image: heap objects' contents and data/bss.
type memory struct {
	d *Dump
	g *Graph
}

func (m memory) word(addr uint64) (uint64, bool) {
	if i := m.g.find(addr); i >= 0 {
		o := m.g.Objects[i]
		return word(o.Data, addr-o.Addr)
	}
	for _, s := range m.d.Segments {
		if addr >= s.Addr && addr+8 <= s.Addr+uint64(len(s.Contents)) {
			return binary.LittleEndian.Uint64(s.Contents[addr-s.Addr:]), true
		}
	}
	return 0, false
}

// VolatileWords lists the words described above for the dump d of exePath.
func VolatileWords(d *Dump, g *Graph, exe *Exe, exePath string) ([]volatileWord, error) {
	sf, err := loadStructs(exePath, "runtime.g", "runtime.m", "runtime.p", "runtime.timer",
		"runtime.scavengerState")
	if err != nil {
		return nil, err
	}
	// Not every release has every field (Go 1.22 has no m.allpSnapshot, p.timers.heap or
	// timer.ts, p.oldm is new in 1.26): a field the runtime lacks is one it cannot write.
	off := map[string]uint64{}
	for _, f := range []string{"runtime.g m", "runtime.m curg", "runtime.m allpSnapshot", "runtime.p oldm",
		"runtime.p timers.heap", "runtime.p timers", "runtime.timer ts", "runtime.scavengerState timer"} {
		typ, path, _ := strings.Cut(f, " ")
		if o, err := sf.offset(typ, path); err == nil {
			off[typ+"."+path] = o
		}
	}
	mem := memory{d, g}
	var out []volatileWord
	add := func(base uint64, field string) {
		if o, ok := off[field]; ok {
			out = append(out, volatileWord{base + o, field})
		}
	}
	// The timer heap: timerWhen{timer *timer; when int64} entries (1.23+), or []*timer (1.22).
	heapField, stride := "runtime.p.timers.heap", uint64(16)
	if _, ok := off[heapField]; !ok {
		heapField, stride = "runtime.p.timers", 8
	}
	for _, gr := range d.Goroutines {
		add(gr.G, "runtime.g.m")
	}
	for _, m := range d.Ms {
		add(m, "runtime.m.curg")
		add(m, "runtime.m.allpSnapshot")
	}
	timers := map[uint64]bool{}
	allp, _, err := exe.Symbol("runtime.allp")
	if err != nil {
		return nil, err
	}
	arr, ok1 := mem.word(allp)
	n, ok2 := mem.word(allp + 8)
	if !ok1 || !ok2 || n > 1<<16 {
		return nil, fmt.Errorf("runtime.allp at %#x: not in the dump's data/bss, or an impossible length", allp)
	}
	for i := uint64(0); i < n; i++ {
		p, ok := mem.word(arr + 8*i)
		if !ok {
			return nil, fmt.Errorf("allp[%d] at %#x is not in the dump", i, arr+8*i)
		}
		add(p, "runtime.p.oldm")
		// The timer heap's backing array: a slice, so its length word says how many entries
		// were live at the dump; every entry of the array can be (re)written later.
		heap, _ := mem.word(p + off[heapField])
		if j := g.find(heap); heap != 0 && j >= 0 {
			o := g.Objects[j]
			for e := uint64(0); e+stride <= o.Size; e += stride {
				out = append(out, volatileWord{o.Addr + e, heapField + "[]"})
				if t, ok := word(o.Data, e); ok && t != 0 {
					timers[t] = true
				}
			}
		}
	}
	if sc, _, err := exe.Symbol("runtime.scavenger"); err == nil {
		if t, ok := mem.word(sc + off["runtime.scavengerState.timer"]); ok && t != 0 {
			timers[t] = true
		}
	}
	for t := range timers {
		add(t, "runtime.timer.ts")
	}
	return out, nil
}

// writeVolatile writes the words as listing keys (see the file comment), sorted by address.
func writeVolatile(path string, g *Graph, words []volatileWord) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, v := range words {
		if i := g.find(v.Addr); i >= 0 {
			fmt.Fprintf(w, "edge %016x %d %s\n", g.Objects[i].Addr, v.Addr-g.Objects[i].Addr, v.Field)
		} else {
			fmt.Fprintf(w, "root %016x %s\n", v.Addr, v.Field)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
