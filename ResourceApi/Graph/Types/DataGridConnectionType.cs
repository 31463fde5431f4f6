using GraphQL.Types;
using GraphQL.Types.Relay;
using GraphQL.Types.Relay.DataObjects;

namespace ResourceApi.Graph.Types;

internal sealed record DataGridRow(IReadOnlyList<string?> Values);

internal sealed class DataGridConnection : Connection<DataGridRow>
{
    public IReadOnlyList<string> Headers { get; set; } = [];
}

internal sealed class DataGridRowType : ObjectGraphType<DataGridRow>
{
    public DataGridRowType()
    {
        Name = "DataGridRow";
        Field<NonNullGraphType<ListGraphType<StringGraphType>>>("values").Description("One value per header, as strings.")
            .Resolve(c => c.Source.Values);
    }
}

/// <summary>A Relay connection of a Data Pool's rows, with the column headers once for the page.</summary>
internal sealed class DataGridConnectionType : ConnectionType<DataGridRowType>
{
    public DataGridConnectionType()
    {
        Name = "DataGridConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("headers")
            .Resolve(c => ((DataGridConnection)c.Source!).Headers);
    }
}
