module heapwalk.test/debuginfo

go 1.22
