module heapwalk/oracle

go 1.22
