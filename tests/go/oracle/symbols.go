// symbols.go - what the oracle needs from the sample's executable: global variables' addresses
// (to find the root of a named global) and the line table (to name a goroutine's creation
// site from its gopc). Standard library debug/elf and debug/gosym only. A PIE executable is
// loaded at a bias, found by Relocate from the dump's data segment (runtime.data's address).
package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
)

// Exe is an opened Go executable.
type Exe struct {
	syms  []elf.Symbol
	table *gosym.Table
	pie   bool
	bias  uint64 // run-time minus link-time address (PIE only, set by Relocate)
}

// OpenExe reads the symbol table and the pclntab of path.
func OpenExe(path string) (*Exe, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return nil, fmt.Errorf("%s: not an executable (ELF type %v)", path, f.Type)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: symbols: %w", path, err)
	}
	pcln := f.Section(".gopclntab")
	text := f.Section(".text")
	if pcln == nil || text == nil {
		return nil, fmt.Errorf("%s: no .gopclntab or .text section", path)
	}
	data, err := pcln.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: .gopclntab: %w", path, err)
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil, fmt.Errorf("%s: line table: %w", path, err)
	}
	return &Exe{syms: syms, table: table, pie: f.Type == elf.ET_DYN}, nil
}

// Relocate sets the load bias of a PIE executable from the dump's data segment, which starts
// at the symbol runtime.data (firstmoduledata.data).
func (x *Exe) Relocate(d *Dump) error {
	data, _, err := x.Symbol("runtime.data")
	if err != nil {
		return err
	}
	for _, s := range d.Segments {
		if s.Name == "data" {
			if !x.pie && s.Addr != data {
				return fmt.Errorf("the dump's data segment is at %#x, the executable's runtime.data at %#x: "+
					"not the executable that wrote the dump?", s.Addr, data)
			}
			x.bias = s.Addr - data
			return nil
		}
	}
	return fmt.Errorf("the dump has no data segment")
}

// Symbol returns the address and size of a data symbol such as "main.cache".
func (x *Exe) Symbol(name string) (addr, size uint64, err error) {
	for _, s := range x.syms {
		if s.Name == name && elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
			return s.Value + x.bias, s.Size, nil
		}
	}
	return 0, 0, fmt.Errorf("no data symbol %q", name)
}

// CreationSite names the `go` statement whose call returns to gopc, as the runtime's own
// traceback does ("created by"): the line of gopc-1 when gopc is past the function's entry.
func (x *Exe) CreationSite(gopc uint64) (fn, file string, line int) {
	pc := gopc - x.bias
	f := x.table.PCToFunc(pc)
	if f == nil {
		return "", "", 0
	}
	if pc > f.Entry {
		pc--
	}
	file, line, _ = x.table.PCToLine(pc)
	return f.Name, file, line
}
