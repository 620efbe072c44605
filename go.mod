module nodelist

go 1.26.8
