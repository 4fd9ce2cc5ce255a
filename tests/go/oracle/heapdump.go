// heapdump.go - a complete reader of the runtime/debug.WriteHeapDump format ("go1.7 heap dump").
//
// The format has no published spec for current Go (golang/go#15169); this follows the writer,
// src/runtime/heapdump.go of Go 1.22-1.26, record by record. Every record is parsed (not just
// skipped), so an unknown tag or a short file is an error naming the record and its offset.
// Numbers are unsigned LEB128 varints; strings and memory ranges are a varint length and bytes;
// field lists are (kind, offset) pairs ended by kind 0.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

const dumpHeader = "go1.7 heap dump\n"

// Record tags, as heapdump.go numbers them.
const (
	tagEOF             = 0
	tagObject          = 1
	tagOtherRoot       = 2
	tagType            = 3
	tagGoroutine       = 4
	tagStackFrame      = 5
	tagParams          = 6
	tagFinalizer       = 7
	tagItab            = 8
	tagOSThread        = 9
	tagMemStats        = 10
	tagQueuedFinalizer = 11
	tagData            = 12
	tagBSS             = 13
	tagDefer           = 14
	tagPanic           = 15
	tagMemProf         = 16
	tagAllocSample     = 17
)

const fieldKindPtr = 1

// Object is one tagObject record: a slot of an in-use span, as the runtime dumps it (the slot
// base and the span's elemsize, malloc header included).
type Object struct {
	Addr     uint64
	Contents []byte
	Fields   []uint64 // byte offsets of pointer words, from the slot base
}

// Segment is a tagData or tagBSS record: the first module's data or bss and its pointer words.
type Segment struct {
	Name     string // "data" or "bss"
	Addr     uint64
	Contents []byte
	Fields   []uint64
}

// Goroutine is a tagGoroutine record with the frames that follow it.
type Goroutine struct {
	G, SP, ID, GoPC, Status uint64
	System                  bool
	WaitSince               uint64
	WaitReason              string
	Ctxt, M, Defer, Panic   uint64
	Frames                  []Frame
}

// Frame is a tagStackFrame record.
type Frame struct {
	SP, Depth, ChildSP uint64
	Contents           []byte
	Entry, PC, ContPC  uint64
	Name               string
	Fields             []uint64 // offsets from SP
}

// Finalizer is a tagFinalizer or tagQueuedFinalizer record.
type Finalizer struct {
	Obj, Fn, FnPC, Fint, Ot uint64
	Queued                  bool
}

// MemStats holds the runtime.MemStats the dump was written with (read in the same
// stop-the-world), in heapdump.go's order.
type MemStats struct {
	Alloc, TotalAlloc, Sys, Lookups, Mallocs, Frees                    uint64
	HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects uint64
	NumGC                                                              uint64
}

// Dump is everything the file holds that the oracle uses.
type Dump struct {
	BigEndian         bool
	PtrSize           uint64
	ArenaStart        uint64
	ArenaEnd          uint64
	GOARCH, GoVersion string
	NCPU              uint64
	Objects           []Object
	Segments          []Segment
	Goroutines        []Goroutine
	Finalizers        []Finalizer
	Threads           int
	Ms                []uint64 // the m address of each OS-thread record
	Types, Itabs      int
	MemStats          *MemStats
	Defers, Panics    int
	OtherRoots        int
}

type dumpReader struct {
	r   *bufio.Reader
	off int64
	tag string // record being read, for errors
	at  int64  // its offset
}

func (d *dumpReader) fail(what string, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("heap dump: %s record at offset %d: reading %s at offset %d: %w", d.tag, d.at, what, d.off, err)
}

func (d *dumpReader) uvarint(what string) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b, err := d.r.ReadByte()
		if err != nil {
			return 0, d.fail(what, err)
		}
		d.off++
		if shift == 63 && b > 1 {
			return 0, d.fail(what, errors.New("varint overflows 64 bits"))
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
}

// maxRange bounds one memory range: the largest object or segment a test sample makes is far
// below it, and a corrupt length must not allocate unboundedly.
const maxRange = 1 << 34

func (d *dumpReader) bytes(what string) ([]byte, error) {
	n, err := d.uvarint(what + " length")
	if err != nil {
		return nil, err
	}
	if n > maxRange {
		return nil, d.fail(what, fmt.Errorf("length %d over the %d limit", n, uint64(maxRange)))
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		return nil, d.fail(what, err)
	}
	d.off += int64(n)
	return b, nil
}

func (d *dumpReader) str(what string) (string, error) {
	b, err := d.bytes(what)
	return string(b), err
}

func (d *dumpReader) fields(what string) ([]uint64, error) {
	var out []uint64
	for {
		kind, err := d.uvarint(what + " kind")
		if err != nil {
			return nil, err
		}
		if kind == 0 {
			return out, nil
		}
		off, err := d.uvarint(what + " offset")
		if err != nil {
			return nil, err
		}
		if kind != fieldKindPtr {
			return nil, d.fail(what, fmt.Errorf("field kind %d (only pointer fields are written)", kind))
		}
		out = append(out, off)
	}
}

// uvarints reads n numbers into dst.
func (d *dumpReader) uvarints(what string, dst ...*uint64) error {
	for i, p := range dst {
		v, err := d.uvarint(fmt.Sprintf("%s #%d", what, i))
		if err != nil {
			return err
		}
		*p = v
	}
	return nil
}

// ReadDump parses a whole heap dump.
func ReadDump(r io.Reader) (*Dump, error) {
	d := &dumpReader{r: bufio.NewReaderSize(r, 1<<20), tag: "header"}
	hdr := make([]byte, len(dumpHeader))
	if _, err := io.ReadFull(d.r, hdr); err != nil || string(hdr) != dumpHeader {
		return nil, fmt.Errorf("heap dump: no %q header at offset 0", dumpHeader[:len(dumpHeader)-1])
	}
	d.off = int64(len(hdr))
	dump := &Dump{}
	var skip uint64
	for {
		d.at, d.tag = d.off, "tag"
		tag, err := d.uvarint("tag")
		if err != nil {
			return nil, err
		}
		switch tag {
		case tagEOF:
			if dump.MemStats == nil {
				return nil, fmt.Errorf("heap dump: EOF record at offset %d before any MemStats record", d.at)
			}
			return dump, nil
		case tagObject:
			d.tag = "Object"
			var o Object
			if o.Addr, err = d.uvarint("addr"); err != nil {
				return nil, err
			}
			if o.Contents, err = d.bytes("contents"); err != nil {
				return nil, err
			}
			if o.Fields, err = d.fields("fields"); err != nil {
				return nil, err
			}
			dump.Objects = append(dump.Objects, o)
		case tagOtherRoot:
			d.tag = "OtherRoot"
			if _, err = d.str("description"); err != nil {
				return nil, err
			}
			if err = d.uvarints("to", &skip); err != nil {
				return nil, err
			}
			dump.OtherRoots++
		case tagType:
			d.tag = "Type"
			if err = d.uvarints("addr/size", &skip, &skip); err != nil {
				return nil, err
			}
			if _, err = d.str("name"); err != nil {
				return nil, err
			}
			if err = d.uvarints("indirect", &skip); err != nil {
				return nil, err
			}
			dump.Types++
		case tagGoroutine:
			d.tag = "Goroutine"
			var g Goroutine
			var system, background uint64
			if err = d.uvarints("g/sp/goid/gopc/status/system/background/waitsince",
				&g.G, &g.SP, &g.ID, &g.GoPC, &g.Status, &system, &background, &g.WaitSince); err != nil {
				return nil, err
			}
			g.System = system != 0
			if g.WaitReason, err = d.str("waitreason"); err != nil {
				return nil, err
			}
			if err = d.uvarints("ctxt/m/defer/panic", &g.Ctxt, &g.M, &g.Defer, &g.Panic); err != nil {
				return nil, err
			}
			dump.Goroutines = append(dump.Goroutines, g)
		case tagStackFrame:
			d.tag = "StackFrame"
			var f Frame
			if err = d.uvarints("sp/depth/childsp", &f.SP, &f.Depth, &f.ChildSP); err != nil {
				return nil, err
			}
			if f.Contents, err = d.bytes("contents"); err != nil {
				return nil, err
			}
			if err = d.uvarints("entry/pc/continpc", &f.Entry, &f.PC, &f.ContPC); err != nil {
				return nil, err
			}
			if f.Name, err = d.str("name"); err != nil {
				return nil, err
			}
			if f.Fields, err = d.fields("fields"); err != nil {
				return nil, err
			}
			if len(dump.Goroutines) == 0 {
				return nil, d.fail("frame", errors.New("stack frame before any goroutine"))
			}
			g := &dump.Goroutines[len(dump.Goroutines)-1]
			g.Frames = append(g.Frames, f)
		case tagParams:
			d.tag = "Params"
			var big uint64
			if err = d.uvarints("bigendian/ptrsize/arenastart/arenaend", &big, &dump.PtrSize, &dump.ArenaStart, &dump.ArenaEnd); err != nil {
				return nil, err
			}
			dump.BigEndian = big != 0
			if dump.GOARCH, err = d.str("GOARCH"); err != nil {
				return nil, err
			}
			if dump.GoVersion, err = d.str("version"); err != nil {
				return nil, err
			}
			if err = d.uvarints("ncpu", &dump.NCPU); err != nil {
				return nil, err
			}
			if dump.BigEndian || dump.PtrSize != 8 {
				return nil, d.fail("params", fmt.Errorf("only little-endian 64-bit dumps are supported (big endian %v, pointer size %d)", dump.BigEndian, dump.PtrSize))
			}
		case tagFinalizer, tagQueuedFinalizer:
			d.tag = "Finalizer"
			f := Finalizer{Queued: tag == tagQueuedFinalizer}
			if err = d.uvarints("obj/fn/fnpc/fint/ot", &f.Obj, &f.Fn, &f.FnPC, &f.Fint, &f.Ot); err != nil {
				return nil, err
			}
			dump.Finalizers = append(dump.Finalizers, f)
		case tagItab:
			d.tag = "Itab"
			if err = d.uvarints("itab/type", &skip, &skip); err != nil {
				return nil, err
			}
			dump.Itabs++
		case tagOSThread:
			d.tag = "OSThread"
			var m uint64
			if err = d.uvarints("m/id/procid", &m, &skip, &skip); err != nil {
				return nil, err
			}
			dump.Threads++
			dump.Ms = append(dump.Ms, m)
		case tagMemStats:
			d.tag = "MemStats"
			// 24 numbers (Alloc .. PauseTotalNs), 256 PauseNs, NumGC.
			var v [24 + 256 + 1]uint64
			for i := range v {
				if v[i], err = d.uvarint(fmt.Sprintf("value #%d", i)); err != nil {
					return nil, err
				}
			}
			dump.MemStats = &MemStats{
				Alloc: v[0], TotalAlloc: v[1], Sys: v[2], Lookups: v[3], Mallocs: v[4], Frees: v[5],
				HeapAlloc: v[6], HeapSys: v[7], HeapIdle: v[8], HeapInuse: v[9], HeapReleased: v[10],
				HeapObjects: v[11], NumGC: v[280],
			}
		case tagData, tagBSS:
			s := Segment{Name: "data"}
			if tag == tagBSS {
				s.Name = "bss"
			}
			d.tag = s.Name
			if s.Addr, err = d.uvarint("addr"); err != nil {
				return nil, err
			}
			if s.Contents, err = d.bytes("contents"); err != nil {
				return nil, err
			}
			if s.Fields, err = d.fields("fields"); err != nil {
				return nil, err
			}
			dump.Segments = append(dump.Segments, s)
		case tagDefer:
			d.tag = "Defer"
			for i := 0; i < 7; i++ {
				if err = d.uvarints("defer", &skip); err != nil {
					return nil, err
				}
			}
			dump.Defers++
		case tagPanic:
			d.tag = "Panic"
			for i := 0; i < 6; i++ {
				if err = d.uvarints("panic", &skip); err != nil {
					return nil, err
				}
			}
			dump.Panics++
		case tagMemProf:
			d.tag = "MemProf"
			var nstk uint64
			if err = d.uvarints("bucket/size/nstk", &skip, &skip, &nstk); err != nil {
				return nil, err
			}
			if nstk > 1<<16 {
				return nil, d.fail("nstk", fmt.Errorf("%d frames", nstk))
			}
			for i := uint64(0); i < nstk; i++ {
				if _, err = d.str("func"); err != nil {
					return nil, err
				}
				if _, err = d.str("file"); err != nil {
					return nil, err
				}
				if err = d.uvarints("line", &skip); err != nil {
					return nil, err
				}
			}
			if err = d.uvarints("allocs/frees", &skip, &skip); err != nil {
				return nil, err
			}
		case tagAllocSample:
			d.tag = "AllocSample"
			if err = d.uvarints("obj/bucket", &skip, &skip); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("heap dump: unknown record tag %d at offset %d", tag, d.at)
		}
	}
}
