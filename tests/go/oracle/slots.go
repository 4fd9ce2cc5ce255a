// slots.go - from the dump's Object records to the heap's allocated objects, in the model the
// heapwalk snapshot uses.
//
// Two corrections turn the records into that model.
//
//  1. Bogus records. dumpobjs (heapdump.go) walks n = npages*8192/elemsize slots of each in-use
//     span but marks free slots only for j < span.nelems; every slot j >= nelems is dumped as an
//     "object" whatever it holds. Those slots are not slots at all: they overlay the metadata
//     the runtime keeps at the end of 1-page spans of objects <= 512 bytes:
//     - the heap bitmap (128 bytes: one bit per word of the page) of scan spans, and
//     - with the Green Tea collector (Go 1.26 default, 1.25 GOEXPERIMENT=greenteagc), the
//     spanInlineMarkBits (128 bytes) of spans whose elemsize is 16..512, scan or not.
//     So nelems = (8192 - reserve) / elemsize with reserve the sum of the two (mheap.initSpan),
//     and a record at slot j = (addr - page) / elemsize is bogus iff j >= nelems. Spans of bigger
//     objects reserve nothing, so n == nelems there and nothing is bogus.
//     Whether a span is scan is not in the dump; it is read off the records: a scan span's
//     objects all have pointer types, so any record below the scan span's nelems that has a
//     pointer field makes the span scan. A span with no such record is noscan, except when its
//     records are exactly the slots [nelems(scan), n): that is an in-use scan span with nothing
//     allocated (an mcache's current span), which dumps only its bogus tail.
//     The reference notes measured this on 1.26: 8 bogus 32-byte records per 32-byte scan span.
//
//  2. Malloc headers. Since Go 1.22 a pointerful object of 512 < elemsize <= 32768 bytes starts
//     with an 8-byte header (its *abi.Type); the Go-visible object is [slot+8, slot+elemsize).
//     The dump gives the slot base and elemsize, with field offsets from the slot base. The
//     snapshot model (and this oracle's listing) uses the object: address slot+8, size
//     elemsize-8, offsets from slot+8. Large objects (> 32768, own span) and small ones
//     (<= 512, heap bits in the span) have no header.
//
// MemStats counts slots: HeapObjects is the number of allocated slots (a tiny-allocator block
// is one slot however many tiny objects it holds; runtime.readmemstats_m adds tinyAllocCount to
// both Mallocs and Frees so they cancel), and HeapAlloc is the sum of their elemsize (headers
// included, since the size class is chosen after adding the header). So the oracle checks
// objects == HeapObjects and sum(size) + 8*headers == HeapAlloc.
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

const (
	pageSize             = 8192
	maxSmallSize         = 32768
	minSizeForMalloc     = 512 // objects up to this keep their pointer bits in the span
	mallocHeaderSize     = 8
	spanHeapBitsBytes    = pageSize / 8 / 8 // one bit per pointer word of a page
	spanInlineMarksBytes = 128
)

// HeapObject is one allocated object as the snapshot models it.
type HeapObject struct {
	Addr   uint64   // first byte after any malloc header
	Size   uint64   // bytes, header excluded
	Slot   uint64   // slot base (== Addr without a header)
	Header bool     // a malloc header precedes Addr
	Data   []byte   // contents from Addr
	Fields []uint64 // pointer word offsets from Addr
}

// SlotStats counts what the conversion did.
type SlotStats struct {
	Records       int
	Bogus         int
	BogusBytes    uint64
	EmptyScanSpan int // spans recognised as in-use scan spans with nothing allocated
}

// greenTea says whether the dumped program ran the Green Tea collector: the default from Go
// 1.26, an experiment in 1.25; the version string carries " X:..." experiment overrides.
func greenTea(version string) (bool, error) {
	base, exps, _ := strings.Cut(version, " ")
	minor, err := goMinor(base)
	if err != nil {
		return false, err
	}
	if minor < 22 {
		return false, fmt.Errorf("Go %s: the oracle knows the heap layout of Go 1.22 and later only", version)
	}
	on := minor >= 26
	for _, e := range strings.FieldsFunc(strings.TrimPrefix(exps, "X:"), func(r rune) bool { return r == ',' || r == ' ' }) {
		switch strings.TrimPrefix(e, "X:") {
		case "greenteagc":
			on = true
		case "nogreenteagc":
			on = false
		}
	}
	return on, nil
}

// goMinor returns 26 for "go1.26.8", "go1.26rc1", "devel go1.26-...".
func goMinor(v string) (int, error) {
	i := strings.Index(v, "go1.")
	if i < 0 {
		return 0, fmt.Errorf("unrecognised Go version %q", v)
	}
	s := v[i+4:]
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return strconv.Atoi(s[:j])
}

// spanNelems is mheap.initSpan's slot count for a 1-page span of elemsize bytes.
func spanNelems(elemsize uint64, scan, greentea bool) uint64 {
	reserve := uint64(0)
	if greentea && elemsize >= 16 && elemsize <= minSizeForMalloc {
		reserve += spanInlineMarksBytes
	}
	if scan && elemsize <= minSizeForMalloc {
		reserve += spanHeapBitsBytes
	}
	return (pageSize - reserve) / elemsize
}

// HeapObjects converts the dump's records into objects sorted by address.
func HeapObjects(d *Dump) ([]HeapObject, SlotStats, error) {
	var st SlotStats
	gt, err := greenTea(d.GoVersion)
	if err != nil {
		return nil, st, err
	}
	recs := d.Objects
	sort.Slice(recs, func(i, j int) bool { return recs[i].Addr < recs[j].Addr })
	st.Records = len(recs)
	out := make([]HeapObject, 0, len(recs))
	for i := 0; i < len(recs); {
		r := &recs[i]
		size := uint64(len(r.Contents))
		if size == 0 {
			return nil, st, fmt.Errorf("object record at %#x has no contents", r.Addr)
		}
		if size > minSizeForMalloc {
			o, err := bigObject(r)
			if err != nil {
				return nil, st, err
			}
			out = append(out, o)
			i++
			continue
		}
		// All records of this page: one 1-page span.
		page := r.Addr &^ (pageSize - 1)
		j := i
		for j < len(recs) && recs[j].Addr&^(pageSize-1) == page {
			if uint64(len(recs[j].Contents)) != size || (recs[j].Addr-page)%size != 0 {
				return nil, st, fmt.Errorf("span page %#x: record at %#x (size %d) does not fit the slots of record %#x (size %d)",
					page, recs[j].Addr, len(recs[j].Contents), r.Addr, size)
			}
			j++
		}
		span := recs[i:j]
		nScan := spanNelems(size, true, gt)
		nNoscan := spanNelems(size, false, gt)
		scan := false
		below := 0
		for k := range span {
			if (span[k].Addr-page)/size < nScan {
				below++
				if len(span[k].Fields) > 0 {
					scan = true
				}
			}
		}
		if !scan && below == 0 && nScan != nNoscan && uint64(len(span)) == pageSize/size-nScan {
			scan = true // an empty scan span: only its tail was dumped
			st.EmptyScanSpan++
		}
		nelems := nNoscan
		if scan {
			nelems = nScan
		}
		for k := range span {
			if (span[k].Addr-page)/size >= nelems {
				st.Bogus++
				st.BogusBytes += size
				continue
			}
			out = append(out, HeapObject{Addr: span[k].Addr, Size: size, Slot: span[k].Addr,
				Data: span[k].Contents, Fields: span[k].Fields})
		}
		i = j
	}
	for k := 1; k < len(out); k++ {
		if out[k].Slot < out[k-1].Slot+out[k-1].Size+hdr(out[k-1]) {
			return nil, st, fmt.Errorf("objects at %#x and %#x overlap", out[k-1].Addr, out[k].Addr)
		}
	}
	return out, st, nil
}

func hdr(o HeapObject) uint64 {
	if o.Header {
		return mallocHeaderSize
	}
	return 0
}

// bigObject converts a record over 512 bytes: a header object when it is a small pointerful one.
func bigObject(r *Object) (HeapObject, error) {
	size := uint64(len(r.Contents))
	o := HeapObject{Addr: r.Addr, Size: size, Slot: r.Addr, Data: r.Contents, Fields: r.Fields}
	if size > maxSmallSize || len(r.Fields) == 0 {
		return o, nil
	}
	if r.Fields[0] < mallocHeaderSize {
		return o, fmt.Errorf("object at %#x (%d bytes) should have a malloc header but has a pointer field at offset %d", r.Addr, size, r.Fields[0])
	}
	o.Header = true
	o.Addr += mallocHeaderSize
	o.Size -= mallocHeaderSize
	o.Data = r.Contents[mallocHeaderSize:]
	o.Fields = make([]uint64, len(r.Fields))
	for k, f := range r.Fields {
		o.Fields[k] = f - mallocHeaderSize
	}
	return o, nil
}
