/// Dataset schema, loaders, preprocessing and the synthetic generator.
