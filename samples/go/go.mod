module heapwalk/samples

go 1.22
