"""一体化智能化公共数据平台: data catalogue, supply–demand, capability components, DCAT and CKAN reading."""
