module heapprog

go 1.24
