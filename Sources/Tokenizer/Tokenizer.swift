/// GAOQ and baseline quantisers, frozen codebooks, online SID assignment and the SID trie.
