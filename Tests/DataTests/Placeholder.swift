// Tests for Data are added with the module's code.
