module heapwalk/fuzzgoheap

go 1.22
