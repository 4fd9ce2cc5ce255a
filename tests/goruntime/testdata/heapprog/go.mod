module heapprog

go 1.22
